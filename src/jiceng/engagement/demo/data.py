"""What the demo's residents, workers and shops say and do: the points charter, the shops' goods, the
wishes and their costs, the activities and teams."""

from __future__ import annotations

from datetime import time

from jiceng.people.choices import PoliticalStatus

from ..choices import RuleSource, WishCategory

BATCH = 2000
OFFICE_OPENS, OFFICE_CLOSES = time(8, 30), time(17, 30)
PARTY = (PoliticalStatus.PARTY_MEMBER, PoliticalStatus.PROBATIONARY)
RESIDENT_USERNAME = "resident"

# code, name, points, requires evidence, automatic source
RULES = [
    ("vol", "志愿服务签退", 10, False, RuleSource.VOLUNTEER_CHECKIN),
    ("wish", "认领微心愿并完成", 20, False, RuleSource.WISH_FULFILLED),
    ("report", "上报事件经核实", 5, False, RuleSource.EVENT_VERIFIED_REPORT),
    ("sort", "垃圾分类投放规范", 5, True, ""),
    ("clean", "庭院整洁", 10, True, ""),
    ("filial", "孝老爱亲", 15, False, ""),
    ("meeting", "参加议事会", 5, False, ""),
    ("mediate", "协助调解邻里纠纷", 20, True, ""),
    ("litter", "乱扔垃圾", -3, False, ""),
    ("pile", "乱堆乱放", -5, True, ""),
]
MANUAL_AWARDS = [r for r in RULES if r[2] > 0 and not r[4]]
# What a worker writes as the evidence of a rule that needs it (佐证说明, as on the award form); a few
# entries per community carry a photo instead, stored as an attachment the way the award form stores one.
EVIDENCE = {"sort": "垃圾分类督导员现场核实", "clean": "庭院整洁评比入户检查", "mediate": "调解协议书，村（居）调委会存档",
            "pile": "网格员巡查发现，已当面告知"}
PHOTOS_PER_COMMUNITY = 2
ITEMS = [("食用盐", 10), ("洗衣粉", 30), ("食用油（5L）", 120), ("大米（10斤）", 80), ("毛巾", 15),
         ("牙膏", 12), ("电饭煲", 400), ("雨伞", 40), ("酱油", 15), ("理发券", 20)]
WISHES = {
    WishCategory.LIVING: ["一袋大米和一桶油", "冬天的棉被", "一台电风扇", "换一个旧热水器", "一双保暖棉鞋"],
    WishCategory.STUDY: ["一个新书包", "一套课外读物", "一盏护眼台灯", "一本新华字典", "一套文具"],
    WishCategory.HEALTH: ["一台血压计", "一副老花镜", "一根助行拐杖", "一次上门体检"],
    WishCategory.SERVICE: ["帮忙修理漏水的水龙头", "帮忙疏通下水道", "上门理发", "帮忙换灯泡"],
    WishCategory.COMPANY: ["有人陪我聊聊天", "孩子放学后有人辅导作业", "陪老人去医院复查"],
    WishCategory.OTHER: ["想学用智能手机", "一张全家福照片"],
}
# what a wish for a thing would cost (元), as a resident would estimate it; a service or company costs
# nothing to estimate (left at 0: not given, shown as —)
WISH_COSTS = {
    "一袋大米和一桶油": 150, "冬天的棉被": 200, "一台电风扇": 150, "换一个旧热水器": 500, "一双保暖棉鞋": 80,
    "一个新书包": 100, "一套课外读物": 120, "一盏护眼台灯": 80, "一本新华字典": 30, "一套文具": 50,
    "一台血压计": 200, "一副老花镜": 50, "一根助行拐杖": 60, "一张全家福照片": 100,
}
THANKS = ["谢谢社区的好心人！", "非常感谢，孩子很喜欢。", "感谢党员同志的帮助！", "太感谢了，解决了大问题。"]
# the place after the community's name: 城南社区广场, 桥岩村党群服务中心
ACTIVITIES = [("清扫楼道", "各小区楼栋"), ("义诊进社区", "党群服务中心"), ("文明劝导", "主要路口"),
              ("垃圾分类宣传", "广场"), ("关爱独居老人走访", "各网格"), ("防诈骗宣传", "广场"),
              ("河道清理", "附近河道"), ("助老理发", "党群服务中心")]
TEAMS = ["红骑先锋队", "党员先锋队", "巾帼志愿服务队"]
