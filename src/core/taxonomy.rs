//! Taxonomy: the controlled vocabularies records are checked against and facets are built on.

/// 战略性新兴产业分类(2018), top level, in code order (code = index + 1).
pub const STRATEGIC_INDUSTRIES: [&str; 9] = [
    "新一代信息技术产业",
    "高端装备制造产业",
    "新材料产业",
    "生物产业",
    "新能源汽车产业",
    "新能源产业",
    "节能环保产业",
    "数字创意产业",
    "相关服务业",
];

/// A local industry list as technology markets publish them (from the seed documents).
pub const LOCAL_INDUSTRIES: [&str; 17] = [
    "石油化工",
    "管道装备",
    "激光及智能装备制造",
    "新材料",
    "生物医药",
    "节能环保",
    "新能源",
    "精细化工",
    "海洋产业",
    "现代农业",
    "纺织服装",
    "食品加工",
    "五金机电",
    "包装机械",
    "数控机床",
    "汽车及配件",
    "电子信息",
];

/// Technology fields: first-level disciplines (学科, close to GB/T 13745).
pub const FIELDS: [&str; 67] = [
    "数学",
    "物理学",
    "力学",
    "天文学",
    "地理学",
    "大气科学",
    "海洋科学",
    "地球物理学",
    "地质学/地质资源与地质工程",
    "化学/化学工程与技术",
    "生物学/生物科学与工程",
    "机械工程",
    "光学工程",
    "材料科学与工程",
    "冶金工程",
    "动力工程及工程热物理",
    "电气工程",
    "电子科学与技术",
    "信息与通信工程",
    "控制科学与工程",
    "计算机科学与技术",
    "建筑学",
    "土木工程",
    "水利工程",
    "测绘科学与技术",
    "矿业工程",
    "石油与天然气工程",
    "纺织科学与工程",
    "交通运输工程",
    "船舶与海洋工程",
    "航空宇航科学与技术",
    "兵器科学与技术",
    "核科学与技术",
    "农业工程",
    "林学/林业工程",
    "环境科学与工程",
    "食品科学与工程",
    "作物学",
    "园艺学",
    "农业资源利用",
    "植物保护",
    "畜牧学/兽医学",
    "水产",
    "基础医学/临床医学",
    "口腔医学",
    "公共卫生与预防医学",
    "中医学/中药学",
    "药学",
    "哲学",
    "理论经济学",
    "应用经济学",
    "法学",
    "政治学",
    "社会学",
    "民族学",
    "教育学",
    "心理学",
    "体育学",
    "中国语言文学",
    "新闻传播学",
    "艺术学",
    "历史学",
    "军事学",
    "图书馆、情报与档案管理",
    "工商管理",
    "农林经济管理",
    "公共管理",
];

/// 合作方式 a need may ask for.
pub const COOP_MODES: [&str; 7] = ["转让", "许可", "委托开发", "合作开发", "作价入股", "技术服务", "其他"];
/// 转化方式 a result may be offered by.
pub const TRANSFER_MODES: [&str; 6] = ["转让", "许可", "作价入股", "合作开发", "技术服务", "其他"];
/// 成果类型.
pub const RESULT_TYPES: [&str; 8] = [
    "新技术",
    "新工艺",
    "新产品",
    "新材料",
    "新装备",
    "新品种",
    "软件",
    "其他",
];
/// Kinds of intellectual property a result may hold.
pub const IPR_TYPES: [&str; 7] = [
    "发明专利",
    "实用新型",
    "外观设计",
    "软件著作权",
    "植物新品种权",
    "技术秘密",
    "其他",
];
/// Status of one IPR item.
pub const IPR_STATUSES: [&str; 3] = ["已授权", "申请中", "无"];

/// Names of the nine TRL levels (技术就绪水平, after GB/T 22900), index = level − 1.
pub const TRL_NAMES: [&str; 9] = [
    "基本原理发现",
    "技术概念/应用设想形成",
    "关键功能可行性验证",
    "实验室环境验证",
    "相关环境部件验证",
    "相关环境系统样机演示",
    "实际环境样机试验",
    "系统完成并定型",
    "实际应用/批量生产",
];

/// Provinces by the first two digits of a GB/T 2260 code.
pub const PROVINCES: [(&str, &str); 34] = [
    ("11", "北京市"),
    ("12", "天津市"),
    ("13", "河北省"),
    ("14", "山西省"),
    ("15", "内蒙古自治区"),
    ("21", "辽宁省"),
    ("22", "吉林省"),
    ("23", "黑龙江省"),
    ("31", "上海市"),
    ("32", "江苏省"),
    ("33", "浙江省"),
    ("34", "安徽省"),
    ("35", "福建省"),
    ("36", "江西省"),
    ("37", "山东省"),
    ("41", "河南省"),
    ("42", "湖北省"),
    ("43", "湖南省"),
    ("44", "广东省"),
    ("45", "广西壮族自治区"),
    ("46", "海南省"),
    ("50", "重庆市"),
    ("51", "四川省"),
    ("52", "贵州省"),
    ("53", "云南省"),
    ("54", "西藏自治区"),
    ("61", "陕西省"),
    ("62", "甘肃省"),
    ("63", "青海省"),
    ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
    ("71", "台湾省"),
    ("81", "香港特别行政区"),
    ("82", "澳门特别行政区"),
];

/// The canonical industry name for a name or a strategic-industry code (`"3"` → 新材料产业). A
/// local name that is a strategic industry without its 产业 (新材料, 节能环保, 新能源) is that
/// strategic industry: one facet value, one tag to match on, whichever a portal wrote.
pub fn industry(value: &str) -> Option<&'static str> {
    if let Ok(code) = value.parse::<usize>() {
        return STRATEGIC_INDUSTRIES.get(code.checked_sub(1)?).copied();
    }
    let name = STRATEGIC_INDUSTRIES
        .iter()
        .chain(LOCAL_INDUSTRIES.iter())
        .find(|n| **n == value)?;
    Some(
        STRATEGIC_INDUSTRIES
            .iter()
            .find(|s| s.strip_suffix("产业") == Some(name))
            .unwrap_or(name),
    )
}

/// The province a six-digit GB/T 2260 code belongs to.
pub fn province(code: &str) -> Option<&'static str> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    PROVINCES
        .iter()
        .find(|(p, _)| code.starts_with(p))
        .map(|(_, name)| *name)
}

/// A region code cut to city level (`"130921"` → `"130900"`), which is as precise as the public gets.
pub fn city_code(code: &str) -> String {
    format!("{}00", &code[..4.min(code.len())])
}

/// Which of a need's coop modes a result's transfer modes satisfy (domain rule):
/// 委托开发 is served by 合作开发 or 技术服务; 其他 by anything; every other mode by itself.
pub fn mode_satisfied_by(need_mode: &str, transfer_modes: &[String]) -> bool {
    transfer_modes.iter().any(|t| match need_mode {
        "其他" => true,
        "委托开发" => t == "合作开发" || t == "技术服务",
        m => t == m,
    })
}

/// The public band for a confidential budget (万元): only the band is ever published.
pub fn budget_band(min: Option<f64>, max: Option<f64>) -> Option<&'static str> {
    let top = max.or(min)?;
    Some(match top {
        t if t < 10.0 => "10万元以下",
        t if t < 50.0 => "10–50万元",
        t if t < 100.0 => "50–100万元",
        t if t < 500.0 => "100–500万元",
        t if t < 1000.0 => "500–1000万元",
        _ => "1000万元以上",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_codes_and_names() {
        assert_eq!(industry("3"), Some("新材料产业"));
        assert_eq!(industry("管道装备"), Some("管道装备"));
        assert_eq!(industry("新材料"), Some("新材料产业"));
        assert_eq!(industry("节能环保"), Some("节能环保产业"));
        assert_eq!(industry("新能源"), Some("新能源产业"));
        assert_eq!(industry("新能源汽车产业"), Some("新能源汽车产业"));
        assert_eq!(industry("10"), None);
        assert_eq!(industry("0"), None);
        assert_eq!(industry("钢铁"), None);
    }

    #[test]
    fn regions() {
        assert_eq!(province("130921"), Some("河北省"));
        assert_eq!(province("990000"), None);
        assert_eq!(province("1309"), None);
        assert_eq!(city_code("130921"), "130900");
    }

    #[test]
    fn mode_compatibility_follows_the_domain_rule() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(mode_satisfied_by("委托开发", &s(&["技术服务"])));
        assert!(!mode_satisfied_by("合作开发", &s(&["转让"])));
        assert!(mode_satisfied_by("其他", &s(&["转让"])));
        assert!(mode_satisfied_by("许可", &s(&["转让", "许可"])));
    }

    #[test]
    fn budget_bands_hide_the_figure() {
        assert_eq!(budget_band(Some(35.5), Some(80.0)), Some("50–100万元"));
        assert_eq!(budget_band(Some(12.0), None), Some("10–50万元"));
        assert_eq!(budget_band(None, None), None);
    }
}
