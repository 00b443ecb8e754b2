package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/mockpay/mockpay/client"
)

// refundCmd groups the domestic refund endpoints (/v3/refund/domestic/refunds).
func (a *app) refundCmd() *command {
	return &command{
		name:  "refund",
		short: "refund a collection and query refunds (/v3/refund/domestic/refunds)",
		long: `Refund returns money of a pay-score collection with the generic domestic refund API
(/v3/refund/domestic/refunds): against a service order's collection.details[].transaction_id
or a legacy order's finish_transaction_id, never against out_order_no. A refund is PROCESSING
and ends with a REFUND.SUCCESS (or REFUND.ABNORMAL / REFUND.CLOSED) callback. A service
provider names the sub-merchant whose charge it refunds with --sub-mchid.`,
		examples: []string{
			"go run ./cmd/client refund create --transaction-id 4200000000202612010000000000 --amount 4200",
			"go run ./cmd/client refund query --out-refund-no RF-1",
		},
		subs: []*command{a.refundCreateCmd(), a.refundQueryCmd()},
	}
}

func refundHeadline(verb string, r *client.Refund) string {
	return fmt.Sprintf("refund %s %s: %s, %s of %s", r.OutRefundNo, verb, r.Status, yuan(r.Amount.Refund), yuan(r.Amount.Total))
}

func (a *app) refundCreateCmd() *command {
	var transactionID, outTradeNo, outRefundNo, reason string
	var amount, total fenFlag
	return &command{
		name:  "create",
		short: "ask for a refund (POST /v3/refund/domestic/refunds)",
		long: `Create asks for a refund (申请退款) of --amount fen of a transaction: a service order's
collection.details[].transaction_id ('order query') or a legacy order's
finish_transaction_id ('payafter query'). --total is that transaction's amount (default:
--amount, a full refund). The answer is PROCESSING; REFUND.SUCCESS follows (the mock after 5 s
on its clock: on a virtual clock, 'sandbox clock advance 5s'). Retrying with the same
--out-refund-no is safe: a refund number refunds once.`,
		examples: []string{
			"go run ./cmd/client refund create --transaction-id 4200000000202612010000000000 --amount 4200",
			"go run ./cmd/client refund create --transaction-id $TXN --out-refund-no RF-1 --amount 1000 --total 4200 --reason 行程费用调整",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&transactionID, "transaction-id", "", "the WeChat Pay transaction to refund")
			fs.StringVar(&outTradeNo, "out-trade-no", "", "or the deduction's own out_trade_no (not the out_order_no)")
			fs.StringVar(&outRefundNo, "out-refund-no", "", "the merchant's refund number (default: generated RF-…)")
			fs.Var(&amount, "amount", "`fen` to refund (required)")
			fs.Var(&total, "total", "the transaction's amount in `fen` (default: --amount)")
			fs.StringVar(&reason, "reason", "", "shown to the user (at most 80 bytes)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := exactlyOne("transaction-id", transactionID, "out-trade-no", outTradeNo); err != nil {
				return err
			}
			refund, err := amount.need("amount")
			if err != nil {
				return err
			}
			c, m, err := a.client(ctx)
			if err != nil {
				return err
			}
			cfg, err := a.settings()
			if err != nil {
				return err
			}
			if outRefundNo == "" {
				outRefundNo = newNumber("RF")
			}
			r, err := c.CreateRefund(ctx, client.CreateRefundRequest{
				SubMchID: cfg.SubMchID, TransactionID: transactionID, OutTradeNo: outTradeNo, OutRefundNo: outRefundNo,
				Reason: reason, NotifyURL: m.notifyURL,
				Amount: client.CreateRefundAmount{Refund: refund, Total: total.orDefault(refund), Currency: client.CurrencyCNY},
			})
			if err != nil {
				return err
			}
			if err := a.out.result(refundHeadline("created", r), r); err != nil {
				return err
			}
			if r.Status == client.RefundProcessing {
				a.out.hint("REFUND.SUCCESS follows; on a virtual clock: %s sandbox clock advance 5s; then %s refund query --out-refund-no %s", progName, progName, r.OutRefundNo)
			}
			return nil
		},
	}
}

func (a *app) refundQueryCmd() *command {
	var outRefundNo string
	return &command{
		name:  "query",
		short: "a refund by its number (GET /v3/refund/domestic/refunds/{out_refund_no})",
		long: `Query returns a refund (查询单笔退款) by the merchant's refund number: PROCESSING, SUCCESS
(with success_time), ABNORMAL or CLOSED. An unknown number is RESOURCE_NOT_EXISTS.`,
		examples: []string{
			"go run ./cmd/client refund query --out-refund-no RF-1",
			"go run ./cmd/client refund query --out-refund-no RF-1 --json | jq -r .status",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&outRefundNo, "out-refund-no", "", "the merchant's refund number (required)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("out-refund-no", outRefundNo); err != nil {
				return err
			}
			c, _, err := a.client(ctx)
			if err != nil {
				return err
			}
			cfg, err := a.settings()
			if err != nil {
				return err
			}
			r, err := c.QueryRefund(ctx, client.QueryRefundRequest{OutRefundNo: outRefundNo, SubMchID: cfg.SubMchID})
			if err != nil {
				return err
			}
			return a.out.result(refundHeadline("is", r), r)
		},
	}
}
