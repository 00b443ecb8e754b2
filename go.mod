module github.com/mockpay/mockpay

go 1.26.0

require (
	github.com/caarlos0/env/v11 v11.4.2
	// Test-only: drives the dashboard (/sandbox/ui/) in headless Chromium,
	// as QA uses it. cdproto is chromedp's own protocol types (a module of
	// chromedp's authors that chromedp requires anyway): its runtime events
	// are how the browser tests see the page's console errors.
	github.com/chromedp/cdproto v0.160.1
	github.com/chromedp/chromedp v0.24.0
	// Test-only: an independent client (gopay), to prove that SDKs which
	// call WeChat Pay's paths without /v3 work against the mock.
	github.com/go-pay/gopay v1.5.115
	github.com/google/uuid v1.6.0
	github.com/gorilla/mux v1.8.1
	github.com/hashicorp/go-memdb v1.3.5
	// GET /metrics: the registry, the collectors and the text exposition
	// that Prometheus scrapes.
	github.com/prometheus/client_golang v1.25.0
	// Test-only: the metric types and Prometheus's own text parser, which
	// the /metrics tests read the exposition with.
	github.com/prometheus/client_model v0.6.3
	github.com/prometheus/common v0.74.0
	github.com/stretchr/testify v1.12.1
	// Test-only: the official SDK, to prove interoperability (signatures,
	// AEAD, certificates, the whole flow) against the client WeChat Pay ships.
	github.com/wechatpay-apiv3/wechatpay-go v0.2.21
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/go-pay/crypto v0.0.1 // indirect
	github.com/go-pay/errgroup v0.0.3 // indirect
	github.com/go-pay/smap v0.0.2 // indirect
	github.com/go-pay/util v0.0.4 // indirect
	github.com/go-pay/xlog v0.0.3 // indirect
	github.com/go-pay/xtime v0.0.2 // indirect
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/golang-lru v0.5.4 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/pandatix/go-abnf v0.5.5 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
