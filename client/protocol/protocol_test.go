package protocol_test

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/client/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from testdata/certs")

// The vectors of protocol.md §1.9, copied verbatim.
const (
	vecAPIv3Key   = "0123456789abcdefghijklmnopqrstuv"
	vecNonce      = "Kj7QIyUiYx1q"
	vecAD         = "payscore"
	vecPlaintext  = `{"appid":"wxd678efh567hg6787","mchid":"1230000109","out_order_no":"1234323JKHDFE1243252","service_id":"500001","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","state":"DOING","state_description":"USER_CONFIRM"}`
	vecCiphertext = "pVzSPBhfUXWgKPPdNLpDe1qvMMh0qu2dpYvwyePBtsAQQawgZzjox1Yxoe9cLDxVaVhiN+u0cJjK0iatkHragjQOcE+zsftmGyQuKlvpRV7ooU7lKqrIXI0GS5ih6ze+x0Klk1lAisfp0aQ1oY6bzgkZk+zfJV1sV5sDwM3CqS4+KlAFTfHigR0JrwRSyEEZCn0FPC5NK6OOpL7oVdMDsbWoUU4g2wRV68nrQpYiLJy7Lx3rrMVWypEY3jOgAYBC+5G/8a1K2sftzY/KLH6TMOcQRN0tYxRso6U="

	vecNotifyTimestamp = 1554209980
	vecNotifyNonce     = "c5ac7061fccab6bf3e254dcf98995b8c"
	vecNotifyBody      = `{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_CONFIRM","summary":"确认订单","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"` + vecCiphertext + `","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}`
	vecNotifySignature = "VIoDDZTbtc1ztwlWwuGon7QjAdTPPAkR1U84IMMowyV1rHNgNa7Gxvr96pz9O0x8D68LxUIRSpzBLwig6wDyYKLZquexqmnPTNuKoovjip9w5G7jeqOs+Z2sNEDZznNbIgrIN34coI76c4GBw7uSIfLbhSGbIAuvpdsCXGomHA2tGG/kJu6mV+2d9YAO4ROJA0owiuC8+XxcaH6ujcTKiRI8RbKmCc7lbkdeSsz3udc79jrGIRnJaIklyfbIfGZ4/jtDJL+D14J62jDeQ1ESw4kmF5EA2nGwBT/1Q3hD1p6lr2tGmNzFr8sqUt0TQDAsq1ctOug7Oa+GpM8VbrkFZw=="
	vecNotifyPublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwS9AyanZoUjn1Y+5mF+3
2DleHd8Wmlm08TOrZJLY98MqX8WuoQNv4lyOxMgGGOnJ33wjKSgB+VPySt11+e/i
fwh7Wj6dcHEo41wuN3clNtRDwhBfn780B16mIpDdEcmhMwVKvwx4QCjZnNpwtV1D
jULvRcnfhQJOqWw60bd6n8wzFi+so74L+Hpg4bB/mE6wY/bl+G+YhS2SaFDKvf0o
86jtnsHkkDaU2H8XvW4LYhU2+fskGwV8AaqYCHIudXXaVM7XXikU74ISsypdtswj
kTppYeNE1XF8Zit3ApD2cMIbIth4F8WR51Amfc/TW6MhycO75gmxOPK3dFjJBGSH
aQIDAQAB
-----END PUBLIC KEY-----
`
)

func TestVectors_AEAD(t *testing.T) {
	got, err := protocol.Encrypt([]byte(vecAPIv3Key), vecNonce, vecAD, []byte(vecPlaintext))
	require.NoError(t, err)
	assert.Equal(t, vecCiphertext, got)

	plain, err := protocol.Decrypt([]byte(vecAPIv3Key), vecNonce, vecAD, vecCiphertext)
	require.NoError(t, err)
	assert.Equal(t, vecPlaintext, string(plain))

	_, err = protocol.Decrypt([]byte(vecAPIv3Key), vecNonce, "certificate", vecCiphertext)
	assert.Error(t, err, "other associated data must fail authentication")
}

func TestDecrypt_Rejects(t *testing.T) {
	tampered := []byte(vecCiphertext)
	tampered[10] ^= 'A' ^ 'B'
	tests := []struct {
		name                 string
		key, nonce, ad, text string
	}{
		{"wrong key", strings.Repeat("k", 32), vecNonce, vecAD, vecCiphertext},
		{"16-byte key (AES-128)", vecAPIv3Key[:16], vecNonce, vecAD, vecCiphertext},
		{"short nonce", vecAPIv3Key, vecNonce[:11], vecAD, vecCiphertext},
		{"wrong nonce", vecAPIv3Key, "Kj7QIyUiYx1r", vecAD, vecCiphertext},
		{"empty associated data", vecAPIv3Key, vecNonce, "", vecCiphertext},
		{"tampered ciphertext", vecAPIv3Key, vecNonce, vecAD, string(tampered)},
		{"truncated tag", vecAPIv3Key, vecNonce, vecAD, vecCiphertext[:len(vecCiphertext)-8]},
		{"not base64", vecAPIv3Key, vecNonce, vecAD, "%%%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := protocol.Decrypt([]byte(tt.key), tt.nonce, tt.ad, tt.text)
			assert.Error(t, err)
		})
	}
	_, err := protocol.Encrypt([]byte(vecAPIv3Key[:24]), vecNonce, "", nil)
	assert.Error(t, err, "Encrypt refuses a key that is not 32 bytes")
}

func TestVectors_NotificationSignature(t *testing.T) {
	msg := protocol.ResponseMessage(vecNotifyTimestamp, vecNotifyNonce, []byte(vecNotifyBody))
	assert.Len(t, msg, 646)
	assert.Equal(t, "1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n"+vecNotifyBody+"\n", string(msg))

	pub, err := protocol.ParsePublicKey([]byte(vecNotifyPublicKey))
	require.NoError(t, err)
	assert.NoError(t, protocol.Verify(pub, msg, vecNotifySignature))

	bad := append([]byte(nil), msg...)
	bad[len(bad)-3] = ' '
	assert.ErrorIs(t, protocol.Verify(pub, bad, vecNotifySignature), protocol.ErrSignatureMismatch)
	assert.ErrorIs(t, protocol.Verify(pub, msg, protocol.SignTestPrefix+vecNotifySignature), protocol.ErrSignTestProbe)
	assert.Error(t, protocol.Verify(pub, msg, "not*base64"))
}

func TestVectors_Messages(t *testing.T) {
	assert.Equal(t, "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n",
		string(protocol.RequestMessage("GET", "/v3/certificates", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", nil)))
	assert.Equal(t, "POST\n/v3/payscore/serviceorder?x=1\n1\nn\n{\"a\":1}\n\n",
		string(protocol.RequestMessage("POST", "/v3/payscore/serviceorder?x=1", 1, "n", []byte("{\"a\":1}\n"))),
		"a body's own trailing newline is signed as sent")
	assert.Equal(t, "1554209980\nnonce\n\n", string(protocol.ResponseMessage(1554209980, "nonce", nil)), "a 204 signs an empty last line")
}

// vectors.json pins signatures made with the keys in testdata/certs, so that
// the signer is checked against fixed bytes, not only against the verifier.
type vectorFile struct {
	Merchant []signVector `json:"merchant_request_signatures"`
	Platform []signVector `json:"platform_response_signatures"`
	PubKey   []signVector `json:"public_key_response_signatures"`
}

type signVector struct {
	Message   string `json:"message"`
	Signature string `json:"signature"`
}

func certsFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "certs", name))
	require.NoError(t, err)
	return b
}

func TestVectors_TestdataCerts(t *testing.T) {
	messages := map[string][]string{
		"merchant": {
			string(protocol.RequestMessage("GET", "/v3/certificates", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", nil)),
			string(protocol.RequestMessage("POST", "/v3/payscore/serviceorder", 1796000000, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
				[]byte(`{"out_order_no":"1234323JKHDFE1243252","appid":"wxd678efh567hg6787","service_id":"500001","service_introduction":"某某酒店"}`+"\n"))),
		},
		"platform": {string(protocol.ResponseMessage(1796000000, "593BEC0C930BF1AFEB40B4A08C8FB242", []byte(`{"data":[]}`)))},
		"pubkey":   {string(protocol.ResponseMessage(1796000000, "593BEC0C930BF1AFEB40B4A08C8FB242", nil))},
	}
	keys := map[string]string{"merchant": "apiclient_key.pem", "platform": "platform_key.pem", "pubkey": "pub_key_private.pem"}
	pubs := map[string]string{"merchant": "apiclient_cert.pem", "platform": "platform_cert.pem", "pubkey": "pub_key.pem"}

	computed := map[string][]signVector{}
	for who, msgs := range messages {
		key, err := protocol.ParsePrivateKey(certsFile(t, keys[who]))
		require.NoError(t, err)
		for _, m := range msgs {
			sig, err := protocol.Sign(key, []byte(m))
			require.NoError(t, err)
			computed[who] = append(computed[who], signVector{Message: m, Signature: sig})
		}
	}
	path := filepath.Join("testdata", "vectors.json")
	if *update {
		out, err := json.MarshalIndent(vectorFile{Merchant: computed["merchant"], Platform: computed["platform"], PubKey: computed["pubkey"]}, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(out, '\n'), 0o644))
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./client/protocol -run Vectors -update after regenerating testdata/certs")
	var golden vectorFile
	require.NoError(t, json.Unmarshal(raw, &golden))
	byWho := map[string][]signVector{"merchant": golden.Merchant, "platform": golden.Platform, "pubkey": golden.PubKey}
	for who, want := range byWho {
		assert.Equal(t, want, computed[who], "%s signatures changed: PKCS#1 v1.5 is deterministic, so the signer or testdata/certs changed", who)
		pubPEM := certsFile(t, pubs[who])
		pub, err := protocol.ParsePublicKey(pubPEM)
		if err != nil {
			cert, cerr := protocol.ParseCertificate(pubPEM)
			require.NoError(t, cerr)
			pub, err = cert.PublicKey.(*rsa.PublicKey), nil
		}
		require.NoError(t, err)
		for _, v := range want {
			assert.NoError(t, protocol.Verify(pub, []byte(v.Message), v.Signature), who)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	valid := protocol.Authorization{MchID: "1900009191", NonceStr: "593BEC0C930BF1AFEB40B4A08C8FB242", Timestamp: 1554208460, SerialNo: "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C", Signature: "uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XyUgx9FmutKSYTmYtWBZ0+tNvfGmbXU7cob8H/4nLBiCwIUFluw=="}
	header := valid.String()
	assert.Equal(t, `WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="`+valid.Signature+`"`, header)

	tests := []struct {
		name      string
		header    string
		wantField string // "" means it parses
	}{
		{"canonical", header, ""},
		{"any order", `WECHATPAY2-SHA256-RSA2048 signature="` + valid.Signature + `",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",timestamp="1554208460",mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242"`, ""},
		{"spaces after commas", strings.ReplaceAll(header, `",`, `", `), ""},
		{"empty", "", "schema"},
		{"wrong scheme", strings.Replace(header, "WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SM2-WITH-SM3", 1), "schema"},
		{"lower-case scheme", strings.Replace(header, "WECHATPAY2", "wechatpay2", 1), "schema"},
		{"bearer", "Bearer abc", "schema"},
		{"scheme only", "WECHATPAY2-SHA256-RSA2048", "schema"},
		{"missing mchid", strings.Replace(header, `mchid="1900009191",`, "", 1), "mchid"},
		{"missing signature", strings.Replace(header, `,signature="`+valid.Signature+`"`, "", 1), "signature"},
		{"empty nonce", strings.Replace(header, `nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242"`, `nonce_str=""`, 1), "nonce_str"},
		{"unquoted value", strings.Replace(header, `timestamp="1554208460"`, `timestamp=1554208460`, 1), "timestamp"},
		{"unclosed quote", `WECHATPAY2-SHA256-RSA2048 mchid="1900009191`, "mchid"},
		{"duplicate item", header + `,mchid="1"`, "mchid"},
		{"unknown item", header + `,algorithm="x"`, "algorithm"},
		{"semicolon separator", strings.Replace(header, `",timestamp`, `";timestamp`, 1), "nonce_str"},
		{"millisecond timestamp still parses", strings.Replace(header, `"1554208460"`, `"1554208460123"`, 1), ""},
		{"non-numeric timestamp", strings.Replace(header, `"1554208460"`, `"2019-04-02"`, 1), "timestamp"},
		{"negative timestamp", strings.Replace(header, `"1554208460"`, `"-1"`, 1), "timestamp"},
		{"no equals", `WECHATPAY2-SHA256-RSA2048 mchid`, "mchid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := protocol.ParseAuthorization(tt.header)
			if tt.wantField == "" {
				require.NoError(t, err)
				assert.Equal(t, valid.MchID, got.MchID)
				assert.Equal(t, valid.Signature, got.Signature)
				return
			}
			var ae *protocol.AuthorizationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.wantField, ae.Field, ae.Error())
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",signature="abc=="`)
	f.Add(`WECHATPAY2-SHA256-RSA2048  signature="x" , mchid="1",nonce_str="n",timestamp="0",serial_no="s"`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="`)
	f.Add(`WECHATPAY2-SHA256-RSA2048 ,,,`)
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := protocol.ParseAuthorization(header)
		if err != nil {
			var ae *protocol.AuthorizationError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AuthorizationError", err)
			}
			return
		}
		// Whatever parses renders back to a header that parses to the same value.
		b, err := protocol.ParseAuthorization(a.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", a.String(), err)
		}
		if a != b {
			t.Fatalf("round trip changed %+v into %+v", a, b)
		}
	})
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := protocol.NewNonce(32)
		assert.Regexp(t, `^[0-9A-Za-z]{32}$`, n)
		assert.False(t, seen[n])
		seen[n] = true
	}
	assert.Len(t, protocol.NewNonce(protocol.NonceSize), 12)
}
