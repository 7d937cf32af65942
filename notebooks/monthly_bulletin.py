# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
# 参数：分析员在 JupyterLab 里改这里；papermill 执行时注入。
# month：通报月份 YYYY-MM
month = "2022-01"
# data_paths：导出文件或目录列表，例如 ["../data/2022-02"]（相对本 notebook 所在目录，make lab 打开的是 work/ 下的工作副本；
# 也可写绝对路径）；None 表示用合成样例
data_paths = None
# params_dir：参数目录；None 表示项目的 params/
params_dir = None
# cutoff：统计截止时间；None 表示该月最后一刻
cutoff = None
# output_dir：写出统计表 table.xlsx 和下钻明细 drilldown.xlsx 的目录，例如 "."；None 表示不写
output_dir = None
# official：正式运行（kwstats bulletin）为 True：缺本月文字或本月无案件时报错；分析时保持 False
official = False
# 以下由 kwstats bulletin 注入（已解析的统计期和已读入的案件），在 JupyterLab 里保持 None / False
period = None
ingest_dir = None
sample = False

# %% tags=["setup"]
from IPython.display import HTML, display

from kwstats import investigate, kernel, page, views, workbench
from kwstats.report import build_report
from kwstats.run import notebook_run

run, ingest = notebook_run(
    month,
    data_paths=data_paths,
    params_dir=params_dir,
    cutoff=cutoff,
    official=official,
    period=period,
    ingest_dir=ingest_dir,
    sample=sample,
)
report = build_report(run, ingest)
key, cut, branch, cases = report.month, report.cutoff, report.branch, report.cases
past = report.aggregates  # the months before this one, counted (kwstats.aggregates)

# %% tags=["analyst", "toc"]
# 分析版：先算一次全部发现（核对、异常波动、阈值、超期）和近 12 个月的办结率，目录放在页首。
# 表格用 itables 的离线模式：DataTables 内嵌在页面里，不访问网络；每张表都有全部行。
found = views.investigation(report)
# 图和 drilldown.xlsx 只做一次：在另一个进程里做，同时后面的单元格照常运行（用到时才等它）。
background = workbench.Background(report, found.findings, found.history, output_dir)
workbench.init_tables()
xlsx = background.drilldown_path
display(HTML(workbench.toc_html(report, found.findings, drilldown_xlsx=xlsx.as_posix() if xlsx else None)))

# %%
# 正式版：工作动态解读、数据分析（一）至（五）、统计表。
text_and_table, chart, closing = page.official_sections(report)
display(HTML(text_and_table))

# %%
# 正式版：受理、办结情况示意图（图题为正文文字，图片内嵌，替代文字说明图中内容）。
display(HTML(chart))

# %%
# 正式版：典型案例、落款与报送时间。
display(HTML(closing))

# %% [markdown] tags=["analyst"]
# # 分析员部分（正式版不含）
# 目录在页首。表格可搜索、排序、按列筛选，含全部行（案件多于 500 件的名单只列前 500 行，全部在 drilldown.xlsx）；
# 每条发现背后的案件点开即见，也在 drilldown.xlsx 里。

# %% tags=["analyst"]
kernel.record_warnings(report.notices)  # kwstats bulletin reads them from here (data, not page text)
totals = views.total_rows_note(ingest)
display(
    HTML(
        workbench.section_html("ingest")
        + page.warnings_html(report)
        + workbench.table_html(views.ingest_summary(ingest), "读入的文件")
        + page.para(
            f"读入 {ingest.rows_read} 行 = 使用 {ingest.rows_used} 行 + 剔除 {ingest.rows_set_aside} 行。"
        )
        + page.para(report.sentences()["consultations"])
        + workbench.table_html(views.rejected_view(ingest, report.period), "剔除的问题行（与本月有关的在前）")
        + (page.para(totals) if totals else "")
    )
)

# %% tags=["analyst"]
# 全部发现，编号同目录和 drilldown.xlsx 的工作表。任一发现背后的案件：views.cases_of(report, finding)。
display(
    HTML(
        workbench.section_html("findings")
        + page.para(investigate.SPIKE_METHOD)
        + workbench.table_html(workbench.findings_frame(found.findings), "发现一览")
    )
)
for number, finding, sheet in workbench.numbered(found.findings):
    extra = ""
    if finding.kind == "spike":  # 序列与检验的预期范围，以及增量来自哪里
        extra = background.spike(finding) + workbench.table_html(
            investigate.spike_breakdown(cases, finding, aggregates=past), "增量来自哪里"
        )
    shown, total = views.first_cases_of(report, finding, workbench.EMBED_ROWS)  # all: views.cases_of
    display(HTML(workbench.finding_html(number, finding, shown, extra, sheet=sheet, total=total)))

# %% tags=["analyst"]
display(
    HTML(
        workbench.section_html("deadlines")
        + workbench.table_html(views.deadline_summary(report), "各期限的案件数")
        + workbench.table_html(report.on_time, "按时初查率、按期办结率")
        + workbench.table_html(views.overdue_view(report), "超期及日历未覆盖的案件")
    )
)

# %% tags=["analyst"]
display(
    HTML(
        workbench.section_html("change")
        + page.para(investigate.volume_change(cases, key, cutoff=cut, aggregates=past)["message"])
        + workbench.table_html(
            investigate.change_by(cases, key, "unit", branch, cutoff=cut, aggregates=past), "按单位"
        )
        + workbench.table_html(
            investigate.change_by(cases, key, "problem_category", branch, cutoff=cut, aggregates=past),
            "按问题分类",
        )
        + workbench.table_html(
            investigate.change_by(cases, key, "goods_category", branch, cutoff=cut, aggregates=past),
            "按客体分类",
        )
    )
)

# %% tags=["analyst"]
# 图和表都来自同一份近 12 个月的办结率（found.history）；低于阈值的单位也在“发现”里。
display(
    HTML(
        workbench.section_html("threshold")
        + background.threshold()
        + workbench.table_html(
            workbench.history_frame(found.history, branch.rate_rule),
            "各单位近 12 个月办结率",
            below=(workbench.history_months(found.history), branch.closure_rate_threshold),
            page_length=25,
        )
    )
)

# %% tags=["analyst"]
display(
    HTML(
        workbench.section_html("categories")
        + workbench.table_html(
            investigate.top_categories(cases, key, "problem_category", cutoff=cut), "问题分类"
        )
        + workbench.table_html(
            investigate.top_categories(cases, key, "goods_category", cutoff=cut), "客体分类"
        )
        + workbench.table_html(investigate.top_categories(cases, key, "channel", cutoff=cut), "来源渠道")
    )
)

# %% tags=["analyst"]
# 下钻：表中任一格背后的案件。例：全局“办理中”的案件（受理而未办结）。
# 其他格：views.behind(report, "站前所", "举报办结")（单位名称 + 页面上的中文表头）；
# 任一发现：views.cases_of(report, finding)；按分类：investigate.drill_down(cases, key, by=..., value=...)。
pending = workbench.pending_html(report, views.pending_view(report), xlsx)  # 行多时只列前几百行
display(HTML(workbench.section_html("pending") + pending))

# %% tags=["analyst"]
# 正式运行时（kwstats bulletin）把统计表和下钻明细写成 xlsx，放在通报旁边。
if output_dir:
    print("统计表已写出：", page.write_table_xlsx(report, output_dir).name)
    print("下钻明细已写出：", background.drilldown().name)
