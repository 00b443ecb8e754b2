package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/sandbox"
)

// parkingCmd groups the Pay Score parking endpoints (/v3/vehicle/...).
func (a *app) parkingCmd() *command {
	return &command{
		name:  "parking",
		short: "Pay Score parking: plates, entries and deductions (/v3/vehicle/...)",
		long: `Parking drives Pay Score parking (微信支付分停车): a car park charges the driver's Pay
Score after the car leaves. 'plate' asks whether the user has the service on for a plate
(the user opens it in WeChat; against the mock, 'sandbox plate'), 'enter' announces a car's
entry, 'deduct' asks for the fee when it leaves (accepted at once, deducted later:
TRANSACTION.SUCCESS or TRANSACTION.FAIL follows) and 'query' tells where a deduction stands.
Times are RFC 3339 (2026-12-01T09:00:00+08:00), or now, now-2h, now+10m on the server's
clock. A service provider names its sub-merchant with --sub-mchid.`,
		examples: []string{
			"go run ./cmd/client parking plate --plate 粤B888888 --openid oUser1",
			"go run ./cmd/client parking enter --plate 粤B888888 --out-parking-no IN-1",
			"go run ./cmd/client parking deduct --parking-id 5K8264ILTKCH16CQ250 --plate 粤B888888 --start 2026-12-01T09:00:00+08:00 --amount 1500",
			"go run ./cmd/client parking query --out-trade-no PK-1",
		},
		subs: []*command{a.parkingPlateCmd(), a.parkingEnterCmd(), a.parkingDeductCmd(), a.parkingQueryCmd()},
	}
}

// defaultParkingName is the car park's name when --parking-name is not given.
const defaultParkingName = "mockpay 停车场"

// colorFlag is a plate colour flag, BLUE unless given.
type colorFlag struct{ v client.PlateColor }

func (c *colorFlag) String() string { return string(c.v) }

func (c *colorFlag) Set(s string) error {
	v := client.PlateColor(strings.ToUpper(strings.TrimSpace(s)))
	switch v {
	case client.PlateBlue, client.PlateGreen, client.PlateYellow, client.PlateBlack, client.PlateWhite, client.PlateLimeGreen:
		c.v = v
		return nil
	}
	return flagError("not a plate colour: BLUE, GREEN, YELLOW, BLACK, WHITE or LIMEGREEN")
}

func (c *colorFlag) color() client.PlateColor {
	if c.v == "" {
		return client.PlateBlue
	}
	return c.v
}

// rfc3339Flag is a time flag of the parking commands: RFC 3339, or now,
// now±d on the server's clock (the value when it is empty).
type rfc3339Flag struct {
	name, value string
	at          time.Time // after resolve
}

// resolveRFC3339 resolves the flags, reading the server's clock once, so
// that the times of one command agree. A bad value is a usage error.
func (a *app) resolveRFC3339(ctx context.Context, flags ...*rfc3339Flag) error {
	var now time.Time
	for _, f := range flags {
		rest, relative := strings.CutPrefix(f.value, "now")
		if !relative && f.value != "" {
			t, err := time.Parse(time.RFC3339, f.value)
			if err != nil {
				return rfc3339Usage(f)
			}
			f.at = t
			continue
		}
		var d time.Duration
		if rest != "" {
			var err error
			if d, err = time.ParseDuration(rest); err != nil || (rest[0] != '+' && rest[0] != '-') {
				return rfc3339Usage(f)
			}
		}
		if now.IsZero() {
			var err error
			if now, err = a.serverNow(ctx); err != nil {
				return err
			}
		}
		f.at = now.Add(d)
		f.value = client.TimeRFC3339(f.at)
	}
	return nil
}

func rfc3339Usage(f *rfc3339Flag) error {
	return &usageError{
		msg:  fmt.Sprintf("--%s %q is not a time", f.name, f.value),
		hint: "use RFC 3339, e.g. 2026-12-01T09:00:00+08:00, or now, now-2h, now+10m",
	}
}

// parkingCaller is the client a parking command calls with, its merchant,
// and the sub-merchant a service provider acts for (--sub-mchid, "" for a
// direct merchant).
func (a *app) parkingCaller(ctx context.Context) (*client.Client, *merchant, string, error) {
	c, m, err := a.client(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	cfg, err := a.settings()
	return c, m, cfg.SubMchID, err
}

func (a *app) parkingPlateCmd() *command {
	var plate, openid string
	var color colorFlag
	return &command{
		name:  "plate",
		short: "whether a user has the service on for a plate (GET /v3/vehicle/parking/services/find)",
		long: `Plate asks whether the user has the parking service on for a plate (查询车牌服务开通信息):
NORMAL, PAUSE (the user paused it) or OUT_SERVICE (never opened, or closed: send the user to
open it in WeChat; against the mock, 'sandbox plate').`,
		examples: []string{
			"go run ./cmd/client parking plate --plate 粤B888888 --openid oUser1",
			"go run ./cmd/client parking plate --plate 粤B888888 --color GREEN --openid oUser1 --json | jq -r .service_state",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&plate, "plate", "", "the plate: province character and plate, e.g. 粤B888888 (required)")
			fs.Var(&color, "color", "the plate's `colour` (default BLUE)")
			fs.StringVar(&openid, "openid", "", "the user (required)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("plate", plate); err != nil {
				return err
			}
			if err := required("openid", openid); err != nil {
				return err
			}
			c, m, subMchID, err := a.parkingCaller(ctx)
			if err != nil {
				return err
			}
			ps, err := c.QueryPlateService(ctx, client.QueryPlateServiceRequest{AppID: m.appID, SubMchID: subMchID, PlateNumber: plate, PlateColor: color.color(), OpenID: openid})
			if err != nil {
				return err
			}
			headline := fmt.Sprintf("plate %s %s of %s: %s", ps.PlateNumber, ps.PlateColor, ps.OpenID, ps.ServiceState)
			if ps.ServiceOpenTime != "" {
				headline += ", opened " + ps.ServiceOpenTime
			}
			if err := a.out.result(headline, ps); err != nil {
				return err
			}
			if ps.ServiceState == client.PlateServiceOutService {
				a.out.hint("the user opens it in WeChat; against the mock: %s sandbox plate %s %s --state NORMAL", progName, openid, plate)
			}
			return nil
		},
	}
}

func (a *app) parkingEnterCmd() *command {
	var plate, outParkingNo, parkingName string
	var color colorFlag
	var free time.Duration
	start := rfc3339Flag{name: "start"}
	return &command{
		name:  "enter",
		short: "a car enters: create a parking entry (POST /v3/vehicle/parking/parkings)",
		long: `Enter announces a car's entry (创建停车入场) and prints WeChat Pay's entry id, which the
deduction names, and whether Pay Score can pay for the stay: NORMAL, or BLOCKED with its
reason (PAUSE, OVERDUE, OUT_SERVICE, EVALUATION_FAILED). While the car is parked,
VEHICLE.ENTRANCE_STATE_CHANGE reports changes to the notify_url. A plate has one valid
entry at a time: the latest.`,
		examples: []string{
			"go run ./cmd/client parking enter --plate 粤B888888",
			"go run ./cmd/client parking enter --plate 粤B888888 --out-parking-no IN-1 --start now-2h --parking-name 欢乐海岸停车场 --free-duration 30m",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&plate, "plate", "", "the plate, e.g. 粤B888888 (required)")
			fs.Var(&color, "color", "the plate's `colour` (default BLUE)")
			fs.StringVar(&outParkingNo, "out-parking-no", "", "the merchant's entry id (default: generated IN-…)")
			fs.StringVar(&start.value, "start", "", "when the car entered: RFC 3339 or now±d (default now)")
			fs.StringVar(&parkingName, "parking-name", defaultParkingName, "the car park's name")
			fs.DurationVar(&free, "free-duration", 15*time.Minute, "the car park's free period")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("plate", plate); err != nil {
				return err
			}
			if err := a.resolveRFC3339(ctx, &start); err != nil {
				return err
			}
			c, m, subMchID, err := a.parkingCaller(ctx)
			if err != nil {
				return err
			}
			if outParkingNo == "" {
				outParkingNo = newNumber("IN")
			}
			p, err := c.CreateParking(ctx, client.CreateParkingRequest{
				SubMchID: subMchID, OutParkingNo: outParkingNo, PlateNumber: plate, PlateColor: color.color(), NotifyURL: m.notifyURL,
				StartTime: start.value, ParkingName: parkingName, FreeDuration: int64(free / time.Second),
			})
			if err != nil {
				return err
			}
			state := string(p.State)
			if p.BlockReason != "" {
				state += " (" + string(p.BlockReason) + ")"
			}
			if err := a.out.result(fmt.Sprintf("entry %s of %s: %s, id %s", p.OutParkingNo, p.PlateNumber, state, p.ID), p); err != nil {
				return err
			}
			if p.State == client.ParkingNormal {
				a.out.hint("when the car leaves: %s parking deduct --parking-id %s --plate %s --color %s --start %s --parking-name %s --amount <fen>",
					progName, p.ID, p.PlateNumber, p.PlateColor, p.StartTime, p.ParkingName)
			}
			return nil
		},
	}
}

func (a *app) parkingDeductCmd() *command {
	var parkingID, plate, parkingName, outTradeNo, description, deviceID, subAppID string
	var color colorFlag
	var amount fenFlag
	var charging time.Duration
	start, end := rfc3339Flag{name: "start"}, rfc3339Flag{name: "end"}
	return &command{
		name:  "deduct",
		short: "a car leaves: ask for its fee (POST /v3/vehicle/transactions/parking)",
		long: `Deduct asks for a stay's fee when the car leaves (扣费受理). It names the entry as 'enter'
created it (--parking-id, --plate, --color, --start, --parking-name) and the exit (--end,
default now). WeChat Pay accepts it at once (ACCEPTED) and deducts later: TRANSACTION.SUCCESS
(possibly paid by WeChat Pay's advance, bank_type BPA) or TRANSACTION.FAIL (PAY_FAIL) goes to
the notify_url. An entry pays for one deduction; a BLOCKED entry for none. Retrying with the
same --out-trade-no and parameters answers the deduction as it stands.`,
		examples: []string{
			"go run ./cmd/client parking deduct --parking-id 5K8264ILTKCH16CQ250 --plate 粤B888888 --start 2026-12-01T09:00:00+08:00 --amount 1500",
			"go run ./cmd/client parking deduct --parking-id $ID --plate 粤B888888 --start $START --parking-name 欢乐海岸停车场 --amount 2500 --out-trade-no PK-1",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&parkingID, "parking-id", "", "the entry's id, as 'enter' printed it (required)")
			fs.StringVar(&plate, "plate", "", "the entry's plate (required)")
			fs.Var(&color, "color", "the entry's plate `colour` (default BLUE)")
			fs.StringVar(&start.value, "start", "", "the entry's start_time, RFC 3339 (required)")
			fs.StringVar(&end.value, "end", "", "when the car left: RFC 3339 or now±d (default now)")
			fs.StringVar(&parkingName, "parking-name", defaultParkingName, "the entry's car park")
			fs.Var(&amount, "amount", "the fee in `fen` (required)")
			fs.DurationVar(&charging, "charging-duration", 0, "the billed time (default: end − start)")
			fs.StringVar(&outTradeNo, "out-trade-no", "", "the merchant's order number (default: generated PK-…)")
			fs.StringVar(&description, "description", "停车费", "shown in the user's bill")
			fs.StringVar(&deviceID, "device-id", "GATE-1", "the car park's device")
			fs.StringVar(&subAppID, "sub-appid", "", "the sub-merchant's appid, shown on the charge")
		},
		run: func(ctx context.Context, _ []string) error {
			for name, v := range map[string]string{"parking-id": parkingID, "plate": plate, "start": start.value} {
				if err := required(name, v); err != nil {
					return err
				}
			}
			fee, err := amount.need("amount")
			if err != nil {
				return err
			}
			if err := a.resolveRFC3339(ctx, &start, &end); err != nil {
				return err
			}
			if charging == 0 {
				charging = end.at.Sub(start.at)
			}
			c, m, subMchID, err := a.parkingCaller(ctx)
			if err != nil {
				return err
			}
			if outTradeNo == "" {
				outTradeNo = newNumber("PK")
			}
			tx, err := c.CreateParkingTransaction(ctx, client.CreateParkingTransactionRequest{
				AppID: m.appID, SubAppID: subAppID, SubMchID: subMchID, Description: description, OutTradeNo: outTradeNo,
				NotifyURL: m.notifyURL, Amount: client.ParkingOrderAmount{Total: fee, Currency: client.CurrencyCNY},
				ParkingInfo: client.ParkingInfo{
					ParkingID: parkingID, PlateNumber: plate, PlateColor: color.color(), StartTime: start.value, EndTime: end.value,
					ParkingName: parkingName, ChargingDuration: int64(charging / time.Second), DeviceID: deviceID,
				},
			})
			if err != nil {
				return err
			}
			if err := a.out.result(fmt.Sprintf("deduction %s accepted: %s, %s from %s", tx.OutTradeNo, tx.TradeState, yuan(tx.Amount.Total), tx.Payer.OpenID), tx); err != nil {
				return err
			}
			a.out.hint("TRANSACTION.SUCCESS or TRANSACTION.FAIL follows; on a virtual clock: %s sandbox clock advance 5s; then %s parking query --out-trade-no %s", progName, progName, tx.OutTradeNo)
			return nil
		},
	}
}

func (a *app) parkingQueryCmd() *command {
	var outTradeNo string
	return &command{
		name:  "query",
		short: "a deduction by its number (GET /v3/vehicle/transactions/out-trade-no/{out_trade_no})",
		long: `Query returns a deduction (查询订单) by the merchant's order number: ACCEPTED (not yet
deducted), SUCCESS (with transaction_id; bank_type BPA when WeChat Pay advanced the money,
user_repaid saying whether the user has repaid it), PAY_FAIL, or REFUND once refunded. An
unknown number is ORDER_NOT_EXIST.`,
		examples: []string{
			"go run ./cmd/client parking query --out-trade-no PK-1",
			"go run ./cmd/client parking query --out-trade-no PK-1 --json | jq -r .trade_state",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&outTradeNo, "out-trade-no", "", "the merchant's order number (required)")
		},
		run: func(ctx context.Context, _ []string) error {
			if err := required("out-trade-no", outTradeNo); err != nil {
				return err
			}
			c, _, subMchID, err := a.parkingCaller(ctx)
			if err != nil {
				return err
			}
			tx, err := c.QueryParkingTransaction(ctx, client.QueryParkingTransactionRequest{OutTradeNo: outTradeNo, SubMchID: subMchID})
			if err != nil {
				return err
			}
			return a.out.result(parkingHeadline(tx), tx)
		},
	}
}

// parkingHeadline says where a deduction stands.
func parkingHeadline(tx *client.ParkingTransaction) string {
	s := fmt.Sprintf("deduction %s is: %s, %s", tx.OutTradeNo, tx.TradeState, yuan(tx.Amount.Total))
	if tx.TransactionID != "" {
		s += ", transaction_id " + tx.TransactionID
	}
	if tx.Advanced() {
		s += ", advanced by WeChat Pay (BPA), user_repaid " + tx.UserRepaid
	}
	if tx.TradeStateDescription != "" {
		s += ": " + tx.TradeStateDescription
	}
	return s
}

func (a *app) sbPlateCmd() *command {
	var state string
	var color colorFlag
	return &command{
		name:  "plate",
		args:  "<openid> <plate_number>",
		short: "the user opens, pauses or closes the parking service for a plate",
		long: `Plate plays the WeChat user who opens (--state NORMAL), pauses (PAUSE), resumes (NORMAL)
or closes (OUT_SERVICE) the Pay Score parking service for a plate with the merchant (PUT
/sandbox/users/{openid}/plates/{plate_number}). The plate's open entry follows, with
VEHICLE.ENTRANCE_STATE_CHANGE to its notify_url when its state changes. A plate is held by
one user at a time. The openid is under the configured --appid, else the merchant's first.`,
		examples: []string{
			"go run ./cmd/client sandbox plate oUser1 粤B888888 --state NORMAL",
			"go run ./cmd/client sandbox plate oUser1 粤B888888 --state PAUSE",
			"go run ./cmd/client sandbox plate oUser1 粤BD12345 --color GREEN --state OUT_SERVICE",
		},
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&state, "state", "", "NORMAL (open or resume), PAUSE or OUT_SERVICE (close) (required)")
			fs.Var(&color, "color", "the plate's `colour` (default BLUE)")
		},
		minArgs: 2, maxArgs: 2,
		run: func(ctx context.Context, args []string) error {
			if err := required("state", state); err != nil {
				return err
			}
			mchid, err := a.sandboxMchID()
			if err != nil {
				return err
			}
			cfg, err := a.settings()
			if err != nil {
				return err
			}
			sb, err := a.requireMock(ctx, "sandbox plate")
			if err != nil {
				return err
			}
			p, err := sb.SetPlate(ctx, sandbox.SetPlateRequest{
				OpenID: args[0], PlateNumber: args[1], MchID: mchid, SubMchID: cfg.SubMchID, AppID: cfg.AppID,
				PlateColor: color.color(), State: client.PlateServiceState(strings.ToUpper(state)),
			})
			if err != nil {
				return err
			}
			headline := fmt.Sprintf("user %s, plate %s %s with merchant %s: %s", p.OpenID, p.PlateNumber, p.PlateColor, p.MchID, p.ServiceState)
			if e := p.Entry; e != nil {
				headline += fmt.Sprintf("; open entry %s %s", e.OutParkingNo, e.State)
				if e.BlockReason != "" {
					headline += " (" + string(e.BlockReason) + ")"
				}
			}
			return a.out.result(headline, p.Raw())
		},
	}
}
