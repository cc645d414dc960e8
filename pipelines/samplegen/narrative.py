"""Narrative sections 一…六 of a synthetic report: plausible officialese around the table figures.

Sentences are picked with a generator seeded from the agency and year, so a report re-rendered
in another format reads the same. The phrase 政府信息公开工作年度报告 appears only in the title:
the parser looks for it to find the title line.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .truth import ReportTruth

SECTION_HEADINGS = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}

_PROACTIVE = [
    "围绕中心工作和社会关切，及时公开政策文件、规划计划、财政预决算等信息，主动公开政府信息{n}条。",
    "依托政府门户网站、政务新媒体等平台，全年累计发布各类政府信息{n}条，政策解读{m}篇。",
    "严格落实信息发布审查制度，坚持“先审查、后公开”和“一事一审”原则，全年发布信息{n}条。",
]
_PLATFORM = [
    "持续优化政府信息公开专栏，调整栏目设置，规范发布格式，提升信息检索的便捷性。",
    "推进政务新媒体规范化建设，及时回应网民留言咨询，回复率保持在较高水平。",
    "加强政府信息公开平台与政务服务平台的融合，实现办事指南、办理结果同步公开。",
]
_SUPERVISION = [
    "将政务公开工作纳入年度目标考核，定期开展自查，发现问题及时整改。",
    "组织政务公开业务培训{k}场次，覆盖业务骨干{p}人次，进一步提升工作人员业务能力。",
    "主动接受社会监督，公布监督举报电话，畅通意见建议收集渠道。",
]
_PROBLEMS = [
    "政策解读的形式还不够丰富，图解、视频等通俗化解读所占比例不高。",
    "部分栏目信息更新不够及时，信息发布的规范性有待进一步提高。",
    "依申请公开答复的规范化水平还有提升空间，个别答复说理不够充分。",
    "基层工作人员变动较大，业务培训的覆盖面和针对性仍需加强。",
]
_IMPROVEMENTS = [
    "下一步，我们将进一步完善信息发布审核机制，加强日常监测，确保信息更新及时准确。",
    "我们将丰富政策解读形式，加强与新闻媒体的沟通合作，提高政策知晓度。",
    "我们将继续加强业务培训，规范依申请公开办理流程，不断提升答复质量。",
]


@dataclass
class Narrative:
    intro: str
    sections: dict[str, list[str]]  # section ordinal -> paragraphs (for 二/三/四: text before the table)


def build_narrative(truth: ReportTruth) -> Narrative:
    rng = random.Random(f"{truth.agency.slug}/{truth.year}")  # same prose in every format
    y = truth.year
    a = truth.agency.name
    n = truth.narrative_numbers()
    intro = (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，结合{y}年度{a}政府信息公开"
             f"工作实际编制而成。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开"
             f"行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六个部分。本报告中所列数据统计期限"
             f"自{y}年1月1日至{y}年12月31日止。如对本报告有疑问，请与{a}办公室联系。")
    one = [
        f"{y}年，{a}认真贯彻落实《条例》和上级关于政务公开工作的部署要求，坚持以公开为常态、不公开为例外，"
        f"不断提高政府工作透明度，政府信息公开工作取得了新进展。",
        "（一）主动公开。" + rng.choice(_PROACTIVE).format(n=rng.randint(80, 3000), m=rng.randint(5, 60)),
        f"（二）依申请公开。全年新收政府信息公开申请{int(n['received'])}件，上年结转{int(n['carried_in'])}件，"
        f"办结{int(n['processed'])}件，其中予以公开{int(n['granted'])}件，结转下年度继续办理{int(n['carried_out'])}件。",
        "（三）政府信息管理。" + rng.choice(_PLATFORM),
        "（四）监督保障。" + rng.choice(_SUPERVISION).format(k=rng.randint(1, 8), p=rng.randint(20, 400)),
    ]
    if truth.template == "2021":
        fee = rng.choice([0, 0, rng.randint(1, 20) * 10])
        six = [f"本年度共收取信息处理费{fee}元。" if fee else "本年度未收取信息处理费。",
               "本机关无其他需要报告的事项。"]
    else:
        six = ["本年度无其他需要报告的事项。"]
    reviews, suits = int(n["reviews"]), int(n["suits"])
    four = [f"本年度因政府信息公开工作被申请行政复议{reviews}件，被提起行政诉讼{suits}件。" if reviews or suits
            else "本年度未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"]
    sections = {
        "一": one,
        "二": [],
        "三": [],
        "四": four,
        "五": [f"{y}年，我们的政府信息公开工作虽然取得了一定成效，但仍存在一些不足：" + "".join(rng.sample(_PROBLEMS, 2)),
              rng.choice(_IMPROVEMENTS)],
        "六": six,
    }
    return Narrative(intro=intro, sections=sections)
