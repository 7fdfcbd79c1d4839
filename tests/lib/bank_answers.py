"""tests/lib/bank_answers.py — a small bank store for the retraining tests
(test_retrain.py, test_training.py): four answers with six example questions each, and
NEW, the answer a retraining adds.  (title, body, [questions]) as
kefutest.write_answers_csv takes them."""

STORE = [
    ("Lost or stolen card", "Freeze your card in the app, then order a new one.", [
        "I lost my card", "my card was stolen", "someone took my bank card",
        "I can't find my debit card", "card missing, what do I do", "block my stolen card"]),
    ("Refunds", "Refunds reach your account within 5 working days.", [
        "I want a refund", "how do I get my money back", "refund for a purchase",
        "the shop owes me a refund", "return the money for my order", "refund status"]),
    ("Exchange rates", "We use the interbank rate plus 0.5 %.", [
        "what is the exchange rate", "euro to dollar rate", "how much is a pound in euros",
        "currency conversion rate", "exchange rate for yen", "what rate do you use"]),
    ("Change PIN", "Change your PIN at any of our cash machines.", [
        "how do I change my PIN", "I want a new PIN", "reset my PIN code",
        "forgot my PIN", "set a different PIN", "update PIN number"]),
]
NEW = ("Opening hours", "Branches open 9:00-17:00, Monday to Saturday.", [
    "when are you open", "opening hours of the branch", "what time does the branch open",
    "are you open on saturday", "branch hours", "what time do you close"])
