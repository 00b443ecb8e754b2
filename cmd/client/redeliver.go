package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mockpay/mockpay/client/sandbox"
)

// redeliver sends the callback id names again: its full id, or a prefix of
// it that names one callback, as the lists and docs show ids cut short
// ("5f0c2a8e-…"). A trailing ellipsis is dropped.
func (a *app) redeliver(ctx context.Context, sb *sandbox.Client, id string) (*sandbox.Notification, error) {
	id = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(id), "…"), "...")
	if id == "" {
		return nil, &usageError{msg: "give the callback's id, or the start of it"}
	}
	n, err := sb.RedeliverNotification(ctx, sandbox.RedeliverNotificationRequest{ID: id})
	if !sandbox.IsCode(err, sandbox.CodeNotFound) {
		return n, err
	}
	mchid, subMchID, serr := a.listMchID()
	if serr != nil {
		return nil, serr
	}
	all, lerr := sb.ListNotifications(ctx, sandbox.ListNotificationsRequest{MchID: mchid, SubMchID: subMchID})
	if lerr != nil {
		return nil, fmt.Errorf("look for callbacks whose id starts with %s: %w", id, lerr)
	}
	var matches []string
	for _, c := range all {
		if strings.HasPrefix(c.ID, id) {
			matches = append(matches, c.ID)
		}
	}
	switch len(matches) {
	case 0:
		return nil, err // the mock's NOT_FOUND
	case 1:
		return sb.RedeliverNotification(ctx, sandbox.RedeliverNotificationRequest{ID: matches[0]})
	}
	shown := matches
	if len(shown) > 5 {
		shown = append(shown[:5:5], "…")
	}
	return nil, &usageError{msg: fmt.Sprintf("%s is the start of %d callbacks' ids: %s", id, len(matches), strings.Join(shown, ", ")), hint: "give more of the id"}
}
