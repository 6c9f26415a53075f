"""Data for ``zhiyuan demo``: names, places, titles and texts a Beijing volunteer platform sees.

Surname weights follow the order of the 2020 census frequency list (王 and 李 about 7 % each,
the hundredth surname well under 0.1 %); given-name characters are the common ones of each
generation. Every text is invented for the demo; none names a real person.
"""

from __future__ import annotations

# (surname, weight per mille), most frequent first.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 25), ("黄", 22),
    ("周", 19), ("吴", 19), ("徐", 17), ("孙", 17), ("马", 15), ("胡", 13), ("朱", 13), ("郭", 12),
    ("何", 12), ("罗", 10), ("高", 12), ("林", 10), ("郑", 9), ("梁", 8), ("谢", 8), ("宋", 7),
    ("唐", 7), ("韩", 7), ("冯", 7), ("于", 7), ("董", 6), ("萧", 2), ("程", 5), ("曹", 6),
    ("袁", 5), ("邓", 5), ("许", 5), ("傅", 4), ("沈", 4), ("曾", 4), ("彭", 4), ("吕", 4),
    ("苏", 4), ("卢", 4), ("蒋", 4), ("蔡", 4), ("贾", 4), ("丁", 4), ("魏", 4), ("薛", 3),
    ("叶", 3), ("阎", 3), ("余", 3), ("潘", 3), ("杜", 3), ("戴", 3), ("夏", 3), ("钟", 3),
    ("汪", 3), ("田", 3), ("任", 3), ("姜", 3), ("范", 3), ("方", 3), ("石", 3), ("姚", 3),
    ("谭", 2), ("廖", 2), ("邹", 2), ("熊", 2), ("金", 2), ("陆", 2), ("郝", 2), ("孔", 2),
    ("白", 2), ("崔", 2), ("康", 2), ("毛", 2), ("邱", 2), ("秦", 2), ("江", 2), ("史", 2),
    ("顾", 2), ("侯", 2), ("邵", 2), ("孟", 2), ("龙", 2), ("万", 2), ("段", 2), ("雷", 1.5),
    ("钱", 1.5), ("汤", 1.5), ("尹", 1.5), ("黎", 1.5), ("易", 1.5), ("常", 1.5), ("武", 1.5),
    ("乔", 1.5), ("贺", 1.5), ("赖", 1), ("龚", 1), ("文", 1), ("庞", 1), ("樊", 1), ("兰", 1),
    ("殷", 1), ("施", 1), ("陶", 1), ("洪", 1), ("翟", 1), ("安", 1), ("颜", 1), ("倪", 1),
    ("严", 1), ("牛", 1), ("温", 1), ("芦", 1), ("季", 1), ("俞", 1), ("章", 1), ("鲁", 1),
    ("葛", 1), ("伍", 1), ("韦", 1), ("申", 1), ("尤", 1), ("毕", 1), ("聂", 1), ("焦", 1),
    ("欧阳", 0.5), ("司马", 0.1), ("上官", 0.1), ("诸葛", 0.1),
)  # fmt: skip

# Given-name characters by generation: (born before 1965, 1965–1989, 1990 and later).
GIVEN_MALE = (
    "国建华明德志福军文俊忠民海强永祥庆顺立新春生荣贵宝山林成东义兴",
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞波健峰亮斌宁东海军洪涛冬雷",
    "浩宇轩子睿博涵泽俊凯鑫晨阳昊然铭一航瑞骏哲宸毅嘉文恒星皓逸",
)
GIVEN_FEMALE = (
    "秀英桂兰玉珍凤芝淑华荣琴素梅美霞翠云莲芳慧兰珍娥惠金凤爱英",
    "丽娟敏静艳红燕霞芳玲萍婷洁颖倩晶琳雪莉娜慧丹璐宁蕾蓉",
    "欣怡梓涵诗雨佳琪思彤可馨悦雅婧语晴若溪子萱一诺沐瑶佳怡心妍",
)
# Another province's area code for volunteers born elsewhere (GB/T 2260, real codes).
BIRTHPLACES_ELSEWHERE = (
    "130102", "130104", "130203", "130602", "131002", "120101", "120104", "140105", "150102",
    "210102", "220102", "230102", "320102", "330102", "340102", "360102", "370102", "370202",
    "410102", "410305", "420102", "430102", "440103", "500103", "510104", "610103", "620102",
)  # fmt: skip
GUARDIAN_RELATIONS = ("父亲", "母亲", "母亲", "父亲", "祖母", "祖父")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "198", "199",
)  # fmt: skip

UNIT_NAMES: dict[str, tuple[str, ...]] = {
    "party_government": ("{district}民政局", "{district}人力资源和社会保障局", "{street}办事处", "{district}城市管理委员会", "{district}卫生健康委员会"),
    "enterprise_institution": ("北京{brand}科技有限公司", "北京{brand}建设集团有限公司", "{district}医院", "北京{brand}商贸有限公司", "{district}供电公司"),
    "civilized_unit_school": ("北京市{district}第{n}中学", "{district}实验小学", "北京{brand}职业学院", "{district}图书馆", "北京市{district}第{n}小学"),
    "community_village": ("{community}居民委员会", "{community}物业服务中心"),
    "other": ("{district}志愿者联合会", "{district}慈善协会", "{street}老年协会"),
}  # fmt: skip
BRANDS = ("华信", "中联", "京诚", "兴业", "博远", "华通", "恒达", "京科", "金隅", "安泰", "瑞丰", "同创")
CHINESE_NUMBERS = ("一", "二", "五", "八", "十二", "十七", "三十五", "五十五", "八十", "一六一")

TEAM_NAMES: dict[str, tuple[str, ...]] = {
    "community": ("{community}为老服务队", "{community}邻里守望志愿服务队", "{community}环境美化志愿服务队", "{community}平安巡逻队", "{community}文明劝导队"),
    "party_member": ("{street}党员先锋志愿服务队", "{community}党员志愿服务队"),
    "youth_league": ("{district}青年志愿者服务队", "{street}青年突击队"),
    "professional": ("{district}医疗义诊志愿服务队", "{district}法律援助志愿服务队", "{district}心理关爱志愿服务队", "{district}家电维修志愿服务队", "{district}应急救援志愿服务队"),
    "school": ("{unit}青年志愿者协会", "{unit}红领巾志愿服务队"),
    "unit": ("{unit}志愿服务队",),
    "women_federation": ("{street}巾帼志愿服务队", "{community}妈妈志愿服务队"),
    "trade_union": ("{district}总工会职工志愿服务队", "{street}工会志愿服务队"),
}  # fmt: skip
# The share of each kind among a district's teams.
TEAM_KINDS: tuple[tuple[str, float], ...] = (
    ("community", 34), ("party_member", 12), ("youth_league", 12), ("professional", 10), ("school", 10),
    ("unit", 10), ("women_federation", 7), ("trade_union", 5),
)  # fmt: skip
# What each kind of team mostly does.
TEAM_SERVICE: dict[str, tuple[str, ...]] = {
    "community": ("elderly_care", "sanitation", "convenience_service", "patrol", "civility_persuasion", "environment", "elderly_care"),
    "party_member": ("patrol", "publicity", "civility_persuasion", "poverty_relief", "elderly_care", "traffic_assistance"),
    "youth_league": ("large_event", "traffic_assistance", "environment", "child_care", "blood_donation", "publicity"),
    "professional": ("medical_care", "legal_aid", "psychological_support", "appliance_repair", "emergency_rescue", "medical_care"),
    "school": ("tutoring", "child_care", "publicity", "environment", "culture_sports"),
    "unit": ("poverty_relief", "traffic_assistance", "blood_donation", "environment", "convenience_service", "employment_guidance"),
    "women_federation": ("child_care", "elderly_care", "poverty_relief", "disability_support", "psychological_support"),
    "trade_union": ("appliance_repair", "poverty_relief", "employment_guidance", "convenience_service", "culture_sports"),
}  # fmt: skip
PROFESSIONAL_SKILLS = (
    "medical_care", "legal_aid", "tutoring", "employment_guidance", "translation", "driving",
    "culture_sports", "appliance_repair", "social_survey", "emergency_rescue", "psychological_support",
)  # fmt: skip

STATION_NAMES: dict[str, tuple[str, ...]] = {
    "community": ("{community}新时代文明实践志愿服务站", "{community}志愿服务站"),
    "park": ("{community}街心公园志愿服务站", "{street}滨河公园志愿服务岗"),
    "transit_station": ("{street}地铁站志愿服务站", "{street}公交枢纽学雷锋志愿服务站"),
    "welfare_home": ("{district}社会福利院志愿服务站", "{street}敬老院志愿服务站"),
    "school": ("{district}实验小学志愿服务站",),
    "other": ("{street}政务服务中心志愿服务站", "{district}图书馆志愿服务站"),
}  # fmt: skip
STATION_KINDS: tuple[tuple[str, float], ...] = (
    ("community", 50), ("park", 12), ("transit_station", 12), ("welfare_home", 10), ("school", 6), ("other", 10),
)  # fmt: skip
TEAM_CHECKLIST = ("has_organization", "has_people", "has_place_or_target", "has_activities", "has_rules")
STATION_CHECKLIST = ("management_rules", "dedicated_place", "team", "ledgers", "fixed_projects", "signage")

# service_kind → (title templates, target groups, place templates, people served per activity).
ACTIVITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "elderly_care": (
        ("走访慰问空巢老人", "为老年人义务理发", "“银龄”智能手机使用辅导", "老年食堂助餐服务", "陪伴高龄老人聊天读报"),
        ("elderly_living_alone", "elderly_living_alone", "veterans"),
        ("{community}党群服务中心", "{street}敬老院", "{community}老年驿站"),
        (15, 80),
    ),
    "sanitation": (
        ("清理楼道堆物", "背街小巷环境整治", "垃圾分类桶前值守", "清理小广告"),
        ("residents",),
        ("{community}各小区", "{street}背街小巷", "{community}垃圾分类驿站"),
        (200, 1500),
    ),
    "patrol": (
        ("平安巡逻", "邻里守望夜间巡逻", "防火安全巡查", "防范电信诈骗入户宣传"),
        ("residents", "public"),
        ("{community}辖区", "{street}主要街巷"),
        (300, 2000),
    ),
    "traffic_assistance": (
        ("早晚高峰文明交通引导", "路口文明交通劝导", "学校门口护学岗"),
        ("public", "students"),
        ("{street}主要路口", "{district}实验小学门口", "{street}地铁站出入口"),
        (500, 3000),
    ),
    "poverty_relief": (
        ("走访慰问困难家庭", "冬季送温暖", "爱心衣物捐赠分拣", "困难家庭入户帮扶"),
        ("families_in_need", "families_in_need", "disabled"),
        ("{community}党群服务中心", "{street}社会救助站"),
        (10, 60),
    ),
    "child_care": (
        ("周末亲子阅读", "“四点半课堂”作业辅导", "关爱流动儿童手工课", "儿童安全知识小课堂"),
        ("migrant_children", "left_behind_children", "students"),
        ("{community}儿童之家", "{street}综合文化中心", "{community}图书角"),
        (15, 60),
    ),
    "disability_support": (
        ("助残康复陪伴", "残疾人就业技能辅导", "陪同残障人士出行"),
        ("disabled",),
        ("{street}温馨家园", "{district}残疾人康复中心"),
        (10, 40),
    ),
    "convenience_service": (
        ("便民服务大集", "磨剪子修雨伞便民服务", "免费测血压便民服务", "政务服务导办"),
        ("residents",),
        ("{community}广场", "{street}政务服务中心"),
        (80, 400),
    ),
    "civility_persuasion": (
        ("文明养犬劝导", "排队礼让文明劝导", "公共场所控烟劝导", "文明乘车引导"),
        ("public",),
        ("{street}地铁站", "{community}街心公园", "{street}公交站台"),
        (300, 2000),
    ),
    "publicity": (
        ("垃圾分类入户宣传", "移风易俗宣传", "反诈知识宣讲", "《志愿服务条例》宣传"),
        ("residents", "public"),
        ("{community}宣传栏前", "{street}综合文化中心"),
        (100, 800),
    ),
    "blood_donation": (
        ("无偿献血服务引导", "造血干细胞捐献宣传"),
        ("public", "patients"),
        ("{district}献血屋", "{street}广场献血车"),
        (60, 300),
    ),
    "environment": (
        ("义务植树护绿", "河道清洁护河行动", "拾捡垃圾“净山”活动", "绿地认养养护"),
        ("public", "residents"),
        ("{district}滨河公园", "{community}绿地", "{street}河道沿线"),
        (0, 0),
    ),
    "large_event": (
        ("马拉松赛事志愿服务", "大型文化活动引导服务", "展会志愿服务", "体育赛事观众引导"),
        ("public",),
        ("{district}体育中心", "{district}会展中心", "{street}赛道沿线"),
        (2000, 20000),
    ),
    "medical_care": (
        ("社区义诊", "慢病健康咨询", "家庭医生签约宣传", "急救知识培训进社区"),
        ("elderly_living_alone", "residents", "patients"),
        ("{community}卫生服务站", "{community}党群服务中心"),
        (40, 200),
    ),
    "legal_aid": (
        ("法律咨询进社区", "老年人防诈骗法律讲座", "农民工讨薪法律援助"),
        ("residents", "migrant_workers", "elderly_living_alone"),
        ("{community}党群服务中心", "{street}司法所"),
        (20, 120),
    ),
    "tutoring": (
        ("暑期学业辅导", "英语角", "周末数学辅导"),
        ("students", "migrant_children", "left_behind_children"),
        ("{community}儿童之家", "{street}综合文化中心"),
        (10, 50),
    ),
    "employment_guidance": (
        ("就业政策宣讲", "简历门诊与模拟面试", "社区招聘会服务"),
        ("migrant_workers", "residents", "students"),
        ("{street}社区就业服务站", "{district}人才市场"),
        (30, 300),
    ),
    "translation": (
        ("涉外赛事语言服务", "国际社区语言志愿服务"),
        ("public",),
        ("{district}会展中心", "{community}国际化社区服务站"),
        (50, 500),
    ),
    "driving": (("爱心送考", "接送行动不便老人就医"), ("students", "elderly_living_alone"), ("{district}各考点", "{community}居民家中"), (20, 100)),
    "culture_sports": (
        ("社区文艺汇演", "广场舞教学", "书法进社区写春联", "全民健身指导"),
        ("residents", "elderly_living_alone"),
        ("{community}广场", "{street}综合文化中心"),
        (80, 500),
    ),
    "appliance_repair": (
        ("家电义务维修", "小家电免费检修", "上门检修燃气安全"),
        ("residents", "elderly_living_alone", "families_in_need"),
        ("{community}广场", "{community}党群服务中心"),
        (40, 200),
    ),
    "social_survey": (("居民需求入户调查", "垃圾分类满意度调查"), ("residents",), ("{community}各小区",), (100, 600)),
    "emergency_rescue": (
        ("应急救护培训进社区", "防汛应急值守", "消防疏散演练保障"),
        ("residents", "public"),
        ("{community}党群服务中心", "{street}应急避难场所"),
        (60, 400),
    ),
    "psychological_support": (
        ("心理健康讲座", "“心灵驿站”心理疏导", "考前心理减压"),
        ("residents", "students", "families_in_need"),
        ("{community}心理驿站", "{street}综合文化中心"),
        (15, 80),
    ),
}  # fmt: skip

# Titles that belong to a season (months); the others fit any time of the year.
SEASONS: dict[str, tuple[int, ...]] = {
    "义务植树护绿": (3, 4, 5),
    "绿地认养养护": (4, 5, 6, 7, 8, 9, 10),
    "冬季送温暖": (11, 12, 1, 2),
    "书法进社区写春联": (1, 2),
    "暑期学业辅导": (7, 8),
    "防汛应急值守": (6, 7, 8),
    "考前心理减压": (5, 6, 12),
    "爱心送考": (6,),
    "马拉松赛事志愿服务": (4, 5, 9, 10, 11),
}

# The contract's labels of the service kinds.
SERVICE_LABELS = {
    "traffic_assistance": "交通协勤", "sanitation": "城市卫生", "patrol": "治安巡逻", "poverty_relief": "扶贫帮困",
    "elderly_care": "为老服务", "child_care": "关爱儿童", "disability_support": "助残", "convenience_service": "便民利民",
    "civility_persuasion": "文明劝导", "publicity": "文明宣传", "blood_donation": "献血捐髓", "environment": "植树护绿",
    "large_event": "大型活动服务", "medical_care": "医疗护理", "legal_aid": "法律援助", "tutoring": "学业辅导",
    "employment_guidance": "就业辅导", "translation": "外语翻译", "driving": "驾驶服务", "culture_sports": "文体娱乐",
    "appliance_repair": "家电维修", "social_survey": "社会调查", "emergency_rescue": "应急救援",
    "psychological_support": "心理疏导", "training": "培训",
}  # fmt: skip

# Special days (month, day) → (title prefix, service kinds of the day).
SPECIAL_DAYS: dict[tuple[int, int], tuple[str, tuple[str, ...]]] = {
    (3, 5): ("学雷锋日·", ("elderly_care", "convenience_service", "appliance_repair", "medical_care", "civility_persuasion", "sanitation", "legal_aid")),
    (3, 12): ("植树节·", ("environment",)),
    (6, 5): ("世界环境日·", ("environment", "sanitation", "publicity")),
    (7, 1): ("“七一”党员志愿服务日·", ("publicity", "patrol", "elderly_care", "poverty_relief")),
    (12, 5): ("国际志愿者日·", ("large_event", "elderly_care", "convenience_service", "publicity", "child_care", "medical_care")),
}  # fmt: skip
# 重阳节 (the ninth day of the ninth lunar month) falls on these Gregorian dates.
DOUBLE_NINTH = {2024: (10, 11), 2025: (10, 29), 2026: (10, 18), 2027: (10, 8), 2028: (10, 26), 2029: (10, 16), 2030: (10, 5)}
DOUBLE_NINTH_PREFIX = "重阳节·"

BACKFILL_REASONS = (
    "活动当日系统维护，未能在线发布，现补录",
    "活动为临时应急动员，事后补录",
    "组织者账号当时未开通，补录活动及时长",
    "活动由街道统一组织，纸质签到表事后录入",
    "活动现场网络故障，签到记录事后补录",
)
REJECTION_NOTES = ("缺少活动照片和签到表，不予补录", "与已登记活动重复，不予补录")
CORRECTION_REASONS = (
    "扣除午间休息时间",
    "签退时间录入有误，按签到表更正",
    "中途离开约一小时，按实际服务时间更正",
    "往返交通时间不计入服务时长，予以扣除",
)
REVOCATION_REASONS = ("经核查当日未实际到岗，撤销该记录", "重复登记，撤销")
DEDUCTION_NOTE = "扣除用餐时间"
DISPUTE_ACCEPTED = ("签到表显示全程在岗，申请按实际时长登记", "经核实签到记录，更正为实际服务时长")
DISPUTE_REJECTED = ("往返路上也是为活动奔波，申请计入", "往返交通时间不计入服务时长，维持原记录")
OBJECTION = ("该志愿者部分时长为补录，申请核实", "经核查补录材料齐全，异议不成立")
CANCELLATION_REASON = "受大风蓝色预警影响，活动取消，另行通知"
CHECKLIST_NOTES = ("年度评估", "整改后复查合格", "缺少固定标识，限期整改")
