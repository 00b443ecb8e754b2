package wire

import "github.com/mockpay/mockpay/mock/internal/store"

// What a request's parts become in the store. A payafter order's fees and
// discounts are stored as a service order's items, so that both APIs share
// the order record.

// stored converts a list between the wire and the store, an empty one to
// nil (absent in JSON, as the store keeps it).
func stored[T, S any](items []T, conv func(T) S) []S {
	var out []S
	for _, it := range items {
		out = append(out, conv(it))
	}
	return out
}

// StoredPayments converts post_payments.
func StoredPayments(ps []Payment) []store.PostPayment {
	return stored(ps, func(p Payment) store.PostPayment {
		return store.PostPayment{Name: p.Name, Amount: p.Amount, Description: p.Description, Count: p.Count}
	})
}

// StoredDiscounts converts post_discounts.
func StoredDiscounts(ds []Discount) []store.PostDiscount {
	return stored(ds, func(d Discount) store.PostDiscount {
		return store.PostDiscount{Name: d.Name, Description: d.Description, Amount: d.Amount, Count: d.Count}
	})
}

// StoredFees converts a payafter order's fees.
func StoredFees(fs []Fee) []store.PostPayment {
	return stored(fs, func(f Fee) store.PostPayment {
		return store.PostPayment{Name: f.FeeName, Amount: f.FeeAmount, Description: f.FeeDesc, Count: f.FeeCount}
	})
}

// StoredPayAfterDiscounts converts a payafter order's discounts.
func StoredPayAfterDiscounts(ds []PayAfterDiscount) []store.PostDiscount {
	return stored(ds, func(d PayAfterDiscount) store.PostDiscount {
		return store.PostDiscount{Name: d.DiscountName, Description: d.DiscountDesc, Amount: d.DiscountAmount}
	})
}

// StoredLocation converts location; an empty one is none.
func StoredLocation(l *Location) *store.Location {
	if l == nil || (l.StartLocation == "" && l.EndLocation == "") {
		return nil
	}
	return &store.Location{StartLocation: l.StartLocation, EndLocation: l.EndLocation}
}

// StoredDevice converts device.
func StoredDevice(d *Device) *store.Device {
	if d == nil {
		return nil
	}
	return &store.Device{StartDeviceID: d.StartDeviceID, EndDeviceID: d.EndDeviceID, MaterielNo: d.MaterielNo}
}

// StoredTimeRange converts time_range.
func StoredTimeRange(tr *TimeRange) store.TimeRange {
	if tr == nil {
		return store.TimeRange{}
	}
	return store.TimeRange{StartTime: tr.StartTime, StartTimeRemark: tr.StartTimeRemark, EndTime: tr.EndTime, EndTimeRemark: tr.EndTimeRemark}
}
