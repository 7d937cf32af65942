# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
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
# data_paths：导出文件或目录列表，例如 ["../data/2022-02"]（相对 notebooks/ 目录或绝对路径）；None 表示用合成样例
data_paths = None
# params_dir：参数目录；None 表示项目的 params/
params_dir = None
# cutoff：统计截止时间；None 表示该月最后一刻
cutoff = None
# output_dir：写出统计表 xlsx 的目录；None 表示不写
output_dir = None
# official：正式运行（kwstats bulletin）为 True：缺本月文字或本月无案件时报错；分析时保持 False
official = False
# 以下由 kwstats bulletin 注入（已解析的统计期和已读入的案件），在 JupyterLab 里保持 None / False
period = None
ingest_dir = None
sample = False

# %% tags=["setup"]
from IPython.display import HTML, display

from kwstats import checks, investigate, kernel, page, views
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
# 以下各节只出现在分析版 HTML 和 JupyterLab 中：数据读入与剔除、核对、超期、阈值、变化、异常波动、明细下钻。

# %% tags=["analyst"]
kernel.record_warnings(report.notices)  # kwstats bulletin reads them from here (data, not page text)
display(HTML(page.warnings_html(report)))
display(HTML(page.heading("数据读入", 3)))
display(HTML(page.frame_html(views.ingest_summary(ingest))))
print(f"读入 {ingest.rows_read} 行 = 使用 {ingest.rows_used} 行 + 剔除 {ingest.rows_set_aside} 行")
print(report.sentences()["consultations"])
display(HTML(page.frame_html(views.rejected_view(ingest))))

# %% tags=["analyst"]
display(
    HTML(
        page.heading("核对发现", 3)
        + page.frame_html(checks.findings_frame(list(report.findings)), "findings")
        + page.heading("名册外单位的案件", 4)
        + page.frame_html(views.finding_cases(report, "off_roster"), "drill")
        + page.heading("内容含 HTML 标记的案件（按文本显示）", 4)
        + page.frame_html(views.finding_cases(report, "markup_in_text"), "drill")
    )
)

# %% tags=["analyst"]
display(
    HTML(
        page.heading("超期与期限", 3)
        + page.frame_html(views.deadline_summary(report))
        + page.frame_html(report.on_time)
        + page.frame_html(views.overdue_view(report))
    )
)

# %% tags=["analyst"]
display(HTML(page.heading("异常波动", 3)))
display(HTML(page.para(investigate.SPIKE_METHOD)))
spike_list = investigate.spikes(cases, key)
display(HTML(page.frame_html(checks.findings_frame(spike_list), "findings")))
# Only real spikes have a breakdown; "not tested" (too little history) is said in the table above.
for finding in (f for f in spike_list if f.kind == "spike"):
    display(HTML(page.heading(finding.message, 4)))
    display(HTML(page.frame_html(investigate.spike_breakdown(cases, finding))))
    display(HTML(page.frame_html(views.cases_of(report, finding), "drill")))

# %% tags=["analyst"]
display(
    HTML(
        page.heading("受理量同比、环比", 3)
        + page.para(investigate.volume_change(cases, key, cutoff=cut)["message"])
        + page.heading("按单位", 4)
        + page.frame_html(investigate.change_by(cases, key, "unit", branch, cutoff=cut))
        + page.heading("按问题分类", 4)
        + page.frame_html(investigate.change_by(cases, key, "problem_category", branch, cutoff=cut))
        + page.heading("按客体分类", 4)
        + page.frame_html(investigate.change_by(cases, key, "goods_category", branch, cutoff=cut))
    )
)

# %% tags=["analyst"]
display(
    HTML(
        page.heading("办结率阈值：近 12 个月", 3)
        + page.frame_html(investigate.threshold_history(cases, branch, key, cutoff=cut), "notes")
        + page.frame_html(
            checks.findings_frame(investigate.threshold_breaches(cases, branch, key, cutoff=cut)), "findings"
        )
    )
)

# %% tags=["analyst"]
display(
    HTML(
        page.heading("主要问题、客体与来源渠道", 3)
        + page.frame_html(investigate.top_categories(cases, key, "problem_category", cutoff=cut))
        + page.frame_html(investigate.top_categories(cases, key, "goods_category", cutoff=cut))
        + page.frame_html(investigate.top_categories(cases, key, "channel", cutoff=cut))
    )
)

# %% tags=["analyst"]
# 下钻：表中任一格背后的案件。例：全局“办理中”的案件（受理而未办结）。
# 其他格：views.behind(report, "站前所", "举报办结")（单位名称 + 页面上的表头）；
# 任一发现：views.cases_of(report, finding)；按分类：investigate.drill_down(cases, key, by=..., value=...)。
display(HTML(page.heading("明细下钻：本月办理中的案件", 3) + page.frame_html(views.pending_view(report), "drill")))

# %% tags=["analyst"]
# 正式运行时（kwstats bulletin）把统计表写成 xlsx，放在通报旁边。
if output_dir:
    print("统计表已写出：", page.write_table_xlsx(report, output_dir).name)
