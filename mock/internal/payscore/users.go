package payscore

import (
	"fmt"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/internal/store"
)

// SetWallet sets the user's sandbox wallet: what deductions may take (nil
// is unlimited) and how refunds to the user end ("" or SUCCESS, ABNORMAL,
// CLOSED).
func (s *Service) SetWallet(openid string, balance *int64, refundOutcome string) error {
	switch {
	case balance != nil && *balance < 0:
		return apierr.Param(apierr.LocBody, "/balance", fmt.Sprintf("balance %d must not be negative", *balance), "balance is in fen, 0 or more; null is unlimited", *balance)
	case refundOutcome == store.RefundSuccess:
		refundOutcome = ""
	case refundOutcome != "" && refundOutcome != store.RefundAbnormal && refundOutcome != store.RefundClosed:
		return apierr.Param(apierr.LocBody, "/refund_outcome", "refund_outcome must be SUCCESS, ABNORMAL or CLOSED", "how refunds to this user end", refundOutcome)
	}
	tx := s.store.Write()
	defer tx.Abort()
	if err := tx.PutUser(&store.User{OpenID: openid, Balance: balance, RefundOutcome: refundOutcome}); err != nil {
		return err
	}
	tx.Commit()
	return nil
}
