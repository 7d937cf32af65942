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

# %% tags=["setup"]
from IPython.display import HTML, display

from kwstats.report import build_report, frame_html, heading, para

report = build_report(month, data_paths, params_dir, cutoff, official=official)

# %%
# 正式版：工作动态解读、数据分析（一）至（五）、统计表。
display(
    HTML(
        report.introduction_html()
        + report.analysis_html()
        + report.extra_indicators_html()
        + report.table_section_html()
    )
)

# %%
# 正式版：受理、办结情况示意图（图题为正文文字，图片内嵌，替代文字说明图中内容）。
display(HTML(report.chart_html()))

# %%
# 正式版：典型案例、落款与报送时间。
display(HTML(report.typical_case_html() + report.signature_html()))

# %% [markdown] tags=["analyst"]
# # 分析员部分（正式版不含）
# 以下各节只出现在分析版 HTML 和 JupyterLab 中：数据读入与剔除、核对、超期、阈值、变化、异常波动、明细下钻。

# %% tags=["analyst"]
for warning in report.warnings:
    display(HTML(para(f"⚠ {warning}", "kw-warning")))
display(HTML(heading("数据读入", 3)))
display(HTML(frame_html(report.ingest_summary())))
print(
    f"读入 {report.ingest.rows_read} 行 = 使用 {report.ingest.rows_used} 行 + 剔除 {report.ingest.rows_set_aside} 行"
)
print(report.consultation_note())
display(HTML(frame_html(report.rejected_view())))

# %% tags=["analyst"]
display(
    HTML(
        heading("核对发现", 3)
        + frame_html(report.findings_frame())
        + heading("名册外单位的案件", 4)
        + frame_html(report.finding_cases("off_roster"))
        + heading("内容含 HTML 标记的案件（按文本显示）", 4)
        + frame_html(report.finding_cases("markup_in_text"))
    )
)

# %% tags=["analyst"]
display(
    HTML(
        heading("超期与期限", 3)
        + frame_html(report.deadline_summary())
        + frame_html(report.on_time_rates())
        + frame_html(report.overdue_view())
    )
)

# %% tags=["analyst"]
from kwstats.checks import findings_frame
from kwstats.investigate import SPIKE_METHOD

display(HTML(heading("异常波动", 3)))
display(HTML(para(SPIKE_METHOD)))
spike_list = report.spike_findings()
display(HTML(frame_html(findings_frame(spike_list))))
# Only real spikes have a breakdown; "not tested" (too little history) is said in the table above.
for finding in (f for f in spike_list if f.kind == "spike"):
    display(HTML(heading(finding.message, 4)))
    display(HTML(frame_html(report.spike_breakdown(finding))))
    display(HTML(frame_html(report.cases_of(finding))))

# %% tags=["analyst"]
display(
    HTML(
        heading("受理量同比、环比", 3)
        + para(report.volume_view()["message"])
        + heading("按单位", 4)
        + frame_html(report.change_view("unit"))
        + heading("按问题分类", 4)
        + frame_html(report.change_view("problem_category"))
        + heading("按客体分类", 4)
        + frame_html(report.change_view("goods_category"))
    )
)

# %% tags=["analyst"]
display(
    HTML(
        heading("办结率阈值：近 12 个月", 3)
        + frame_html(report.threshold_view())
        + frame_html(findings_frame(report.threshold_findings()))
    )
)

# %% tags=["analyst"]
display(
    HTML(
        heading("主要问题、客体与来源渠道", 3)
        + frame_html(report.top_view("problem_category"))
        + frame_html(report.top_view("goods_category"))
        + frame_html(report.top_view("channel"))
    )
)

# %% tags=["analyst"]
# 下钻：表中任一格背后的案件。例：全局“办理中”的案件（受理而未办结）。
# 其他格：report.behind("站前所", "reports_closed")（列名见统计表 CSV 表头）；
# 任一发现：report.cases_of(finding)；按分类：kwstats.investigate.drill_down(report.cases, month, by=..., value=...)。
display(HTML(heading("明细下钻：本月办理中的案件", 3) + frame_html(report.pending_view())))

# %% tags=["analyst"]
# 正式运行时（kwstats bulletin）把统计表写成 xlsx，放在通报旁边。
if output_dir:
    print("统计表已写出：", report.write_table_xlsx(output_dir).name)
