package mock

import "github.com/mockpay/mockpay/mock/internal/event"

// CallbackTypes lists the event_type of every callback the mock sends,
// e.g. PAYSCORE.USER_PAID, so that tools built on it (the CLI's trigger)
// can be held to the full list.
func CallbackTypes() []string {
	out := make([]string, len(event.All))
	for i, t := range event.All {
		out[i] = string(t)
	}
	return out
}
