package mock_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mockpay/mockpay/mock"
	"github.com/mockpay/mockpay/mock/internal/apierr"
)

// A service provider is a merchant record of kind partner with its bound
// sub-merchants; what the spec leaves out is drawn.
func TestPartner_Register(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})

	p, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner"})
	require.NoError(t, err)
	assert.Equal(t, "partner", p.Kind)
	require.Len(t, p.SubMerchants, 1, "a partner given no sub-merchants gets one")
	assert.Regexp(t, `^\d{10}$`, p.SubMerchants[0].SubMchID)
	assert.NotEqual(t, p.MchID, p.SubMerchants[0].SubMchID)
	require.Len(t, p.SubMerchants[0].SubAppIDs, 1)
	assert.Regexp(t, `^wx[0-9a-z]{16}$`, p.SubMerchants[0].SubAppIDs[0])

	p2, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{
		{SubMchID: "1900000109", SubAppIDs: []string{"wxsub0000000000001"}},
		{SubAppIDs: []string{}},
	}})
	require.NoError(t, err)
	require.Len(t, p2.SubMerchants, 2)
	assert.Equal(t, mock.SubMerchant{SubMchID: "1900000109", SubAppIDs: []string{"wxsub0000000000001"}}, p2.SubMerchants[0])
	assert.Regexp(t, `^\d{10}$`, p2.SubMerchants[1].SubMchID, "a sub_mchid left out is drawn")
	assert.Empty(t, p2.SubMerchants[1].SubAppIDs, "an empty sub_appids binds none")

	d, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	assert.Equal(t, "merchant", d.Kind, "the default kind")
	assert.Empty(t, d.SubMerchants)
}

func TestPartner_RegisterRefuses(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	tests := []struct {
		name  string
		spec  mock.MerchantSpec
		field string
	}{
		{"unknown kind", mock.MerchantSpec{Kind: "agent"}, "/kind"},
		{"sub-merchants of a direct merchant", mock.MerchantSpec{SubMerchants: []mock.SubMerchant{{SubMchID: "1900000109"}}}, "/sub_merchants"},
		{"a sub_mchid that is no mchid", mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{SubMchID: "19x"}}}, "/sub_merchants/0/sub_mchid"},
		{"a repeated sub_mchid", mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{SubMchID: "1900000109"}, {SubMchID: "1900000109"}}}, "/sub_merchants/1/sub_mchid"},
		{"the partner's own mchid", mock.MerchantSpec{MchID: "1900000001", Kind: "partner", SubMerchants: []mock.SubMerchant{{SubMchID: "1900000001"}}}, "/sub_merchants/0/sub_mchid"},
		{"a bad sub_appid", mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{SubAppIDs: []string{"wx sub"}}}}, "/sub_merchants/0/sub_appids/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := srv.Merchants()
			require.NoError(t, err)
			_, err = srv.CreateMerchant(tt.spec)
			var ae *apierr.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, apierr.ParamError, ae.Code)
			require.NotNil(t, ae.Detail)
			assert.Equal(t, tt.field, ae.Detail.Field)
			after, err := srv.Merchants()
			require.NoError(t, err)
			assert.Len(t, after, len(before), "nothing registered")
		})
	}
}

// PATCH with sub_merchants replaces the list: bind and unbind.
func TestPartner_BindUnbind(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	p, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{SubMchID: "1900000109"}}})
	require.NoError(t, err)

	got, err := srv.UpdateMerchant(p.MchID, mock.MerchantPatch{SubMerchants: []mock.SubMerchant{{SubMchID: "1900000110", SubAppIDs: []string{"wxsub0000000000002"}}}})
	require.NoError(t, err)
	assert.Equal(t, []mock.SubMerchant{{SubMchID: "1900000110", SubAppIDs: []string{"wxsub0000000000002"}}}, got.SubMerchants)

	d, err := srv.CreateMerchant(mock.MerchantSpec{})
	require.NoError(t, err)
	_, err = srv.UpdateMerchant(d.MchID, mock.MerchantPatch{SubMerchants: []mock.SubMerchant{{SubMchID: "1900000110"}}})
	var ae *apierr.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "/sub_merchants", ae.Detail.Field)
	after, err := srv.Merchant(d.MchID)
	require.NoError(t, err)
	assert.Empty(t, after.SubMerchants, "a refused patch changes nothing")
}

// A partner and its sub-merchants survive a saved state.
func TestPartner_StateKeepsSubMerchants(t *testing.T) {
	srv, _ := mock.NewTestServer(t, mock.Options{})
	p, err := srv.CreateMerchant(mock.MerchantSpec{Kind: "partner", SubMerchants: []mock.SubMerchant{{SubMchID: "1900000109", SubAppIDs: []string{"wxsub0000000000001"}}}})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, srv.SaveState(&buf))
	st, err := mock.ReadState(&buf)
	require.NoError(t, err)
	restored, _ := mock.NewTestServer(t, mock.Options{State: st})
	got, err := restored.Merchant(p.MchID)
	require.NoError(t, err)
	assert.Equal(t, "partner", got.Kind)
	assert.Equal(t, p.SubMerchants, got.SubMerchants)
}
