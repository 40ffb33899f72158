
²
payments.protoshop.v1"H
Card
number (	Rnumber
cvv (	Rcvv
holder (	Rholder"¸
ChargeRequest
order_id (	RorderId!
amount_cents (RamountCents
currency (	Rcurrency!
card (2.shop.v1.CardRcard
email (	Remail
notes (	Rnotes"F
ChargeReply
	charge_id (	RchargeId
approved (Rapproved2B
Payments6
Charge.shop.v1.ChargeRequest.shop.v1.ChargeReplybproto3