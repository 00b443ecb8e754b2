package client

import (
	"context"
	"net/url"
)

// DoForTest exposes the unexported request path to the external tests, so
// they can reach paths no typed method covers yet (an unknown path, a POST).
func (c *Client) DoForTest(ctx context.Context, method, path string, query url.Values, body, out any) (status int, requestID string, err error) {
	resp, err := c.do(ctx, method, path, query, body, out)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.RequestID, nil
}
