package wxapi

import "context"

// PathCustomSend is the customer-service message API (an authorizer-token API); the release
// test expects its QUERY_AUTH_CODE answer through it.
const PathCustomSend = "/cgi-bin/message/custom/send"

// CustomText is the text of a customer-service message.
type CustomText struct {
	Content string `json:"content"`
}

// CustomSendRequest is the body of message/custom/send for a text message.
type CustomSendRequest struct {
	ToUser  string     `json:"touser"`
	MsgType string     `json:"msgtype"`
	Text    CustomText `json:"text"`
}

// SendCustomText sends a customer-service text message to openid with an authorizer token.
func (c *Client) SendCustomText(ctx context.Context, authorizerToken, openid, content string) error {
	_, err := fetch[Status](ctx, c, call{
		path: PathCustomSend, tokenParam: paramAccessToken, token: authorizerToken,
		body: CustomSendRequest{ToUser: openid, MsgType: "text", Text: CustomText{Content: content}},
	})
	return err
}
