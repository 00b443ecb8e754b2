package mock

import (
	"github.com/mockpay/mockpay/mock/internal/parking"
)

// parkingEndpoints are Pay Score parking's calls (支付分停车,
// protocol-parking.md), in the order of its reference. Direct merchants and
// service providers call the same paths; a service provider names its
// sub-merchant with sub_mchid, which the parking rules check with the
// other fields (bothSubInRules).
var parkingEndpoints = []endpoint{
	{Name: "parking.find_plate", Method: "GET", Path: "/v3/vehicle/parking/services/find", Callers: bothSubInRules,
		Doc: "whether a user has the parking service on for a plate",
		handling: noBody(func(s *Server, c *call) (parking.PlateService, error) {
			return s.parking.FindPlate(c.merchant, parking.PlateQuery{
				AppID: c.query("appid"), SubMchID: c.query("sub_mchid"), PlateNumber: c.query("plate_number"),
				PlateColor: c.query("plate_color"), OpenID: c.query("openid"),
			})
		})},
	{Name: "parking.create_entry", Method: "POST", Path: "/v3/vehicle/parking/parkings", Order: parkingEntry, Callers: bothSubInRules,
		Doc: "a vehicle enters: a parking entry, usable (NORMAL) or BLOCKED",
		handling: withBody(func(s *Server, c *call, req *parking.CreateParkingRequest) (parking.Parking, error) {
			return s.parking.CreateParking(c.merchant, req)
		})},
	{Name: "parking.create_transaction", Method: "POST", Path: "/v3/vehicle/transactions/parking", Order: parkingTx, Callers: bothSubInRules,
		Doc: "a vehicle leaves: accept a deduction for its entry (ACCEPTED), settled later",
		handling: withBody(func(s *Server, c *call, req *parking.CreateTransactionRequest) (parking.Transaction, error) {
			return s.parking.CreateTransaction(c.merchant, req)
		})},
	{Name: "parking.query_transaction", Method: "GET", Path: "/v3/vehicle/transactions/out-trade-no/{out_trade_no}", Order: parkingTx, Callers: bothSubInRules,
		Doc: "query a parking deduction by out_trade_no",
		handling: noBody(func(s *Server, c *call) (parking.Transaction, error) {
			return s.parking.QueryTransaction(c.merchant, c.vars["out_trade_no"], c.query("sub_mchid"))
		})},
}
