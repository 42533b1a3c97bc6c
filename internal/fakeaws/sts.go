package fakeaws

import (
	"fmt"
	"net/http"
)

// serveQuery answers the one STS call secret-exec makes,
// GetCallerIdentity, in the AWS query protocol. It is not counted.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "GetCallerIdentity" {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type>`+
			`<Code>InvalidAction</Code><Message>unknown action</Message></Error>`+
			`</ErrorResponse>`)
		return
	}
	account := s.Account()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`+
		`<GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/fake</Arn>`+
		`<UserId>AIDAFAKE</UserId><Account>%s</Account></GetCallerIdentityResult>`+
		`<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>`+
		`</GetCallerIdentityResponse>`, account, account)
}
