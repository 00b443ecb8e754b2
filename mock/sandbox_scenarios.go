package mock

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/mockpay/mockpay/mock/internal/apierr"
	"github.com/mockpay/mockpay/mock/scenario"
)

// LoadScenarios loads the scenarios of a YAML (or JSON) text, all or none,
// narrowed by scope (POST /sandbox/scenarios). file names the text in
// errors, which say where and why: "deduct.yaml:7: deduction.fail: …".
//
// A scope naming a merchant that is not registered is refused: a typo in
// it would otherwise leave the scenario waiting for a merchant that never
// calls.
func (s *Server) LoadScenarios(file string, data []byte, scope scenario.Scope) ([]scenario.Info, error) {
	if scope.MchID != "" {
		if _, err := s.store.Read().Merchant(scope.MchID); err != nil {
			msg := "mchid " + scope.MchID + " is not a registered merchant"
			return nil, apierr.Param(apierr.LocQuery, "mchid", msg, msg+": scope the scenarios to one of GET /sandbox/merchants", scope.MchID)
		}
	}
	infos, err := s.scenarios.Load(file, data, scope)
	var se *scenario.Error
	if errors.As(err, &se) {
		return nil, apierr.New(apierr.ParamError, se.Error()).WithDetail(apierr.Detail{Field: scenarioPointer(se.Field), Issue: se.Issue, Location: apierr.LocBody, Value: se.Line})
	}
	if err != nil {
		return nil, err
	}
	for _, in := range infos {
		s.log.Info("scenario loaded", "id", in.ID, "name", in.Name, "file", file)
	}
	s.syncScenarios()
	return infos, nil
}

// CheckScenarios checks the scenarios of a YAML (or JSON) text against the
// endpoints and callbacks this server has, without loading them; the error
// is a *scenario.Error that says where and why.
func (s *Server) CheckScenarios(file string, data []byte) error {
	_, err := s.scenarios.Decode(file, data)
	return err
}

var reIndex = regexp.MustCompile(`\[(\d+)\]`)

// scenarioPointer turns a scenario error's dotted path (match.openid,
// callback.forge[1]) into the JSON Pointer the sandbox names body fields
// with (/match/openid, /callback/forge/1); the document itself is "".
func scenarioPointer(field string) string {
	if field == "" {
		return ""
	}
	return "/" + strings.ReplaceAll(reIndex.ReplaceAllString(field, ".$1"), ".", "/")
}

// Scenarios lists the loaded scenarios (GET /sandbox/scenarios).
func (s *Server) Scenarios() []scenario.Info { return s.scenarios.List() }

// UnloadScenario removes one (DELETE /sandbox/scenarios/{id}).
func (s *Server) UnloadScenario(id string) error {
	if !s.scenarios.Unload(id) {
		return apierr.Newf(apierr.NotFound, "no scenario %s is loaded", id)
	}
	s.syncScenarios()
	return nil
}

func (s *Server) sbLoadScenarios(r *http.Request) reply {
	data, err := readBody(r)
	if err != nil {
		return fail(err)
	}
	q := r.URL.Query()
	file := q.Get("file")
	if file == "" {
		file = "request"
	}
	infos, err := s.LoadScenarios(file, data, scenario.Scope{
		MchID: q.Get("mchid"), SubMchID: q.Get("sub_mchid"), OpenID: q.Get("openid"), OutOrderNo: q.Get("out_order_no"), ServiceID: q.Get("service_id"),
	})
	if err != nil {
		return fail(err)
	}
	return created(infos)
}

func (s *Server) sbScenarios(*http.Request) reply { return ok(s.Scenarios()) }

func (s *Server) sbUnloadScenario(r *http.Request) reply {
	if err := s.UnloadScenario(sbVars(r)["id"]); err != nil {
		return fail(err)
	}
	return noContent()
}
