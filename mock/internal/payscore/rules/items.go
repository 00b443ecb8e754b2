package rules

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/field"
	"github.com/mockpay/mockpay/mock/internal/payscore/wire"
)

// The item lists of an order: post_payments and post_discounts, and the
// legacy API's fees and discounts. Each item has a name, a description, an
// amount and a count under the list's own JSON names; the lists differ in
// their maximum and in which members are required.

// entry is one item of any list.
type entry struct {
	name, desc    string
	amount, count *int64
}

// list is the rules of one item list.
type list struct {
	ptr                      string // the list's pointer, /post_payments
	name, desc, amount, cnt  string // its members' JSON names
	max                      int
	needDesc, needAmount     bool   // members required in every item
	amountOrDesc             bool   // an item needs at least one of them
	unique                   string // the message for a repeated name; "" when names may repeat
	repeatable               string // a name that may repeat even so
	nameLen, descLen, maxCnt int
}

func (l list) check(c *field.Check, items []entry) {
	c.Items(l.ptr, len(items), l.max)
	seen := map[string]bool{}
	for i, it := range items {
		p := field.Item(l.ptr, i)
		c.RequiredString(p+"/"+l.name, it.name, l.nameLen)
		if l.needDesc {
			c.RequiredString(p+"/"+l.desc, it.desc, l.descLen)
		} else {
			c.String(p+"/"+l.desc, it.desc, l.descLen)
		}
		if c.Required(p+"/"+l.amount, it.amount != nil || !l.needAmount) && it.amount != nil {
			c.NotNegative(p+"/"+l.amount, *it.amount)
		}
		if it.count != nil {
			c.Range(p+"/"+l.cnt, *it.count, 1, int64(l.maxCnt))
		}
		if l.amountOrDesc && it.amount == nil && it.desc == "" {
			c.Rule(p+"/"+l.amount, "后付费项目的金额和说明不能同时为空", p+" needs an amount or a description (or both)", nil)
		}
		if l.unique != "" && seen[it.name] && it.name != l.repeatable {
			c.Rule(p+"/"+l.name, l.unique, fmt.Sprintf("the names of %s must be unique, %q repeats", l.ptr, it.name), it.name)
		}
		seen[it.name] = true
	}
}

// Item limits (protocol.md §4.1.1, §4.1.2, §5.1).
const (
	maxPostPayments = 100
	// maxPostDiscounts is post_discounts' maximum at create, complete and
	// modify; direct-complete's page allows maxDirectDiscounts.
	maxPostDiscounts     = 30
	maxDirectDiscounts   = 5
	maxPayAfterDiscounts = 5
)

// postPayments is post_payments: at most 100, each with a name and an
// amount or a description; names are unique but for 商品信息.
var postPayments = list{
	ptr: "/post_payments", name: "name", desc: "description", amount: "amount", cnt: "count",
	max: maxPostPayments, amountOrDesc: true, unique: "后付费项目名称不能重复", repeatable: "商品信息",
	nameLen: 20, descLen: 30, maxCnt: 100,
}

// postDiscounts is post_discounts at create: a name and a description.
// Completion (and modify, and direct-complete) needs a name and an amount
// instead (completedDiscounts).
var postDiscounts = list{
	ptr: "/post_discounts", name: "name", desc: "description", amount: "amount", cnt: "count",
	max: maxPostDiscounts, needDesc: true, unique: "商户优惠名称不能重复",
	nameLen: 20, descLen: 30, maxCnt: 100,
}

func completedDiscounts(max int) list {
	l := postDiscounts
	l.max, l.needDesc, l.needAmount = max, false, true
	return l
}

// fees is a payafter order's fees: at most 100, each with a fee_name.
var fees = list{
	ptr: "/fees", name: "fee_name", desc: "fee_desc", amount: "fee_amount", cnt: "fee_count",
	max: maxPostPayments, nameLen: 20, descLen: 30, maxCnt: 100,
}

// payAfterDiscounts is a payafter order's discounts: at most 5, each with
// a discount_name; completion needs their amounts.
var payAfterDiscounts = list{
	ptr: "/discounts", name: "discount_name", desc: "discount_desc", amount: "discount_amount", cnt: "discount_count",
	max: maxPayAfterDiscounts, nameLen: 20, descLen: 30, maxCnt: 100,
}

// entries reads a wire list as entries.
func entries[T any](items []T, of func(T) entry) []entry {
	out := make([]entry, len(items))
	for i, it := range items {
		out[i] = of(it)
	}
	return out
}

func paymentEntries(ps []wire.Payment) []entry {
	return entries(ps, func(p wire.Payment) entry { return entry{p.Name, p.Description, p.Amount, p.Count} })
}

func discountEntries(ds []wire.Discount) []entry {
	return entries(ds, func(d wire.Discount) entry { return entry{d.Name, d.Description, d.Amount, d.Count} })
}

func feeEntries(fs []wire.Fee) []entry {
	return entries(fs, func(f wire.Fee) entry { return entry{f.FeeName, f.FeeDesc, f.FeeAmount, f.FeeCount} })
}

func payAfterDiscountEntries(ds []wire.PayAfterDiscount) []entry {
	return entries(ds, func(d wire.PayAfterDiscount) entry {
		return entry{name: d.DiscountName, desc: d.DiscountDesc, amount: d.DiscountAmount}
	})
}

// required checks that a list required at this call has an item.
func required(c *field.Check, ptr string, n int) bool {
	return c.Required(ptr, n > 0)
}

// total checks a total_amount: given, not negative, and the sum of the
// charges less the discounts (Σ computed by the caller, overflow-checked).
func total(c *field.Check, total *int64, charges, discounts int64, what string) {
	if !c.Required("/total_amount", total != nil) {
		return
	}
	c.NotNegative("/total_amount", *total)
	if !c.Failed() && *total != charges-discounts {
		c.Rule("/total_amount", "订单金额与"+what+"金额不一致",
			fmt.Sprintf("total_amount %d must equal the charges %d less the discounts %d = %d", *total, charges, discounts, charges-discounts), *total)
	}
}
