package flow

// funcNames maps func_info permission-set ids to their names on the open platform's 权限集
// list (official accounts and mini programs share the id space).
var funcNames = map[int]string{
	1: "消息管理", 2: "用户管理", 3: "帐号服务", 4: "网页服务", 5: "微信小店", 6: "微信多客服",
	7: "群发与通知", 8: "微信卡券", 9: "微信扫一扫", 10: "微信连WIFI", 11: "素材管理", 12: "微信摇周边",
	13: "微信门店", 15: "自定义菜单", 17: "帐号管理", 18: "开发管理与数据分析", 19: "客服消息管理",
	22: "城市服务", 23: "广告管理", 24: "开放平台帐号管理", 25: "开放平台帐号管理", 26: "微信电子发票",
	27: "快速注册小程序", 30: "小程序基本信息设置", 31: "小程序认证", 33: "小程序管理", 34: "微信商品库",
	36: "微信卡路里", 37: "附近地点", 40: "插件管理", 41: "好物圈", 45: "微信物流服务", 46: "微信一物一码",
	48: "微信财政电子票据", 49: "云开发管理", 51: "即时配送", 52: "小程序直播", 54: "服务号对话",
}

// FuncName is the name of a permission set, or a generic label for ids not in the list.
func FuncName(id int) string {
	if n, ok := funcNames[id]; ok {
		return n
	}
	return "权限集"
}
