/* summary/words.c — data only: every word the summary card shows an operator, and every
 * cue list the summariser reads sentences with, one table per language.  Translating the
 * card or tuning a cue means editing this file and nothing else.  Read-only; any thread.
 *
 * Cues are matched in normalised text (NFKC, case-folded; sum_cue_any in text.c): Latin
 * cues at word boundaries, a trailing '*' for a prefix; Chinese cues as substrings.
 * They are general customer-service phrasing, written from the meaning of each list, not
 * picked from any evaluation set.
 */
#include <string.h>

#include "sum_int.h"

/* ---- English ----------------------------------------------------------------------- */

static const char *const en_phatic[] = {
	"hi", "hello", "hey", "thanks", "thank you", "thx", "cheers", "you're welcome",
	"no problem", "no worries", "ok", "okay", "yup", "yes", "yeah", "sure", "great",
	"have a great*", "have a good*", "have a nice*", "happy to help", "glad to help",
	"sorry to hear", "we're sorry", "we are sorry", "apolog*", "good morning",
	"good afternoon", "good evening", "you too", "will do", NULL,
};
static const char *const en_problem[] = {
	"can't", "cannot", "can not", "couldn't", "won't", "doesn't", "don't", "didn't",
	"isn't", "wasn't", "aren't", "haven't", "hasn't", "not", "no longer", "never",
	"error*", "issue*", "problem*", "broken", "broke", "fail*", "unable", "wrong",
	"missing", "lost", "charged", "refund*", "cancel*", "delay*", "late", "stuck",
	"crash*", "declin*", "still", "why", "how do", "how can", "help", "?", NULL,
};
static const char *const en_action[] = {
	"please", "try", "could you", "can you", "would you", "dm", "direct message",
	"we'll", "we will", "let us", "let me", "reach out", "contact", "send", "follow",
	"check", "refund*", "replace*", "link", "step*", "update*", "reinstall*",
	"restart*", "log out", "sign out", "clear", "visit", "call", "escalat*", NULL,
};
static const char *const en_negative[] = {
	"terrible", "awful", "worst", "ridiculous", "useless", "angry", "annoy*",
	"frustrat*", "disappoint*", "unacceptable", "horrible", "waste", "joke", "rubbish",
	"hate", "pathetic", "disgust*", "furious", "fed up", "sick of", "still not",
	"again", "!!", "😡", "😠", "😤", "🙄", ":(", NULL,
};
static const char *const en_positive[] = {
	"thank*", "great", "awesome", "perfect", "appreciat*", "love", "excellent",
	"helpful", "resolved", "works now", "working now", "amazing", "brilliant", "👍",
	"🙂", "😊", ":)", NULL,
};
static const char *const en_person[] = {
	"human", "real person", "a person", "live agent", "an agent", "representative",
	"speak to someone", "talk to someone", "speak to a", "talk to a", "operator",
	"manager", "supervisor", NULL,
};

static const struct sum_words en = {
	.lang = "en",
	.budget = 33,
	.lang_name = "English",
	.customer_label = "Customer:",
	.agent_label = "Agent:",
	.bot_answered = "Bot answered {titles}.",
	.bot_unsure = "Bot was unsure.",
	.list_sep = ", ",
	.quote = "\u201c{t}\u201d",
	.sentence_sep = " ",
	.sentence_end = ".",
	.card_line = "{label}: {value}\n",
	.h_problem = "Problem",
	.h_entities = "Mentioned",
	.h_answers = "Answers",
	.h_person = "Asked for a person",
	.h_language = "Language",
	.h_mood = "Mood",
	.answer_line = "{title} ({reactions})",
	.unsure_title = "unsure, offered choices",
	.entity_item = "{kind} {text}{source}",
	.yes = "yes",
	.none = "none",
	.source = { "", " (picture)", " (voice)" },
	.entity = { "order", "amount", "error code", "e-mail", "date", "phone", "code" },
	.reaction = { "thumbs up", "thumbs down", "asked again", "asked for a person" },
	.no_reaction = "no reaction",
	.mood = { "unhappy", "neutral", "happy" },
	.phatic = en_phatic,
	.problem = en_problem,
	.action = en_action,
	.negative = en_negative,
	.positive = en_positive,
	.person = en_person,
};

/* ---- Chinese ------------------------------------------------------------------------- */

static const char *const zh_phatic[] = {
	"您好", "你好", "谢谢", "感谢", "不客气", "好的", "嗯", "亲", "在吗", "稍等",
	"请稍候", "抱歉", "不好意思", "祝您", "很高兴为您服务", "还有什么", "没问题", "收到",
	"明白", NULL,
};
static const char *const zh_problem[] = {
	"不", "没", "无法", "不能", "怎么", "为什么", "如何", "问题", "错误", "失败", "退款",
	"取消", "丢", "坏", "慢", "还没", "收不到", "登不", "扣", "异常", "故障", "报错",
	"延误", "？", "?", NULL,
};
static const char *const zh_action[] = {
	"请", "建议", "您可以", "麻烦", "尝试", "重新", "联系", "提供", "为您", "帮您",
	"已经", "已为", "退款", "补发", "核实", "处理", "安排", "更新", "重启", "卸载",
	"私信", "链接", "步骤", NULL,
};
static const char *const zh_negative[] = {
	"生气", "太差", "垃圾", "投诉", "失望", "不满", "气死", "怎么还", "还是不", "烦",
	"离谱", "坑", "骗", "无语", "差评", "受不了", "!!", "！！", "😡", "😠", NULL,
};
static const char *const zh_positive[] = {
	"谢谢", "感谢", "解决了", "满意", "太好了", "赞", "好评", "辛苦了", "可以了",
	"好了", "👍", "😊", NULL,
};
static const char *const zh_person[] = {
	"人工", "真人", "转人工", "客服人员", "经理", "主管", "找人", NULL,
};

static const struct sum_words zh = {
	.lang = "zh",
	.budget = 60,
	.lang_name = "中文",
	.customer_label = "客户：",
	.agent_label = "客服：",
	.bot_answered = "机器人回答了{titles}。",
	.bot_unsure = "机器人没有把握。",
	.list_sep = "、",
	.quote = "“{t}”",
	.sentence_sep = "",
	.sentence_end = "。",
	.card_line = "{label}：{value}\n",
	.h_problem = "问题",
	.h_entities = "提到",
	.h_answers = "回答",
	.h_person = "要求转人工",
	.h_language = "语言",
	.h_mood = "情绪",
	.answer_line = "{title}（{reactions}）",
	.unsure_title = "没有把握，给出了选项",
	.entity_item = "{kind} {text}{source}",
	.yes = "是",
	.none = "无",
	.source = { "", "（图片）", "（语音）" },
	.entity = { "订单号", "金额", "错误码", "邮箱", "日期", "电话", "条码" },
	.reaction = { "点赞", "点踩", "换了说法再问", "要求转人工" },
	.no_reaction = "无反馈",
	.mood = { "不满", "平静", "满意" },
	.phatic = zh_phatic,
	.problem = zh_problem,
	.action = zh_action,
	.negative = zh_negative,
	.positive = zh_positive,
	.person = zh_person,
};

const struct sum_words *sum_words_for(const char *lang)
{
	return lang && !strcmp(lang, "zh") ? &zh : &en;
}
