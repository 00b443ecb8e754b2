module github.com/mockpay/mockpay

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1
	github.com/wechatpay-apiv3/wechatpay-go v0.2.21
)

require go.yaml.in/yaml/v3 v3.0.6 // indirect
