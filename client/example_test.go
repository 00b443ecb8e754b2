package client_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/mockpay/mockpay/client"
	"github.com/mockpay/mockpay/client/protocol"
	"github.com/mockpay/mockpay/mock"
)

// The client talks to the in-process mock exactly as it would to WeChat Pay;
// only the base URL differs.
func ExampleClient_Certificates() {
	srv, err := mock.New(mock.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// A fresh merchant in platform-certificate mode, with a generated key.
	m, err := srv.CreateMerchant(mock.MerchantSpec{})
	if err != nil {
		panic(err)
	}
	key, err := protocol.ParsePrivateKey([]byte(m.PrivateKeyPEM))
	if err != nil {
		panic(err)
	}
	c, err := client.New(client.Config{
		MchID:      m.MchID,
		SerialNo:   m.SerialNo,
		PrivateKey: key,
		APIv3Key:   m.APIv3Key,
	}, client.WithBaseURL(ts.URL))
	if err != nil {
		panic(err)
	}

	certs, err := c.Certificates(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("platform certificates:", len(certs))
	fmt.Println("serial matches the mock:", certs[0].SerialNo == srv.Platform().SerialNo)
	// Output:
	// platform certificates: 1
	// serial matches the mock: true
}
