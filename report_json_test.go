package reask_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reask/reask"
)

// A report's JSON gives every duration in milliseconds, as batch records
// and statistics do, and reads back into the same report.
func TestReportJSONInMilliseconds(t *testing.T) {
	rep := &reask.Report{
		Provider: "openai/m", Mode: reask.ModeJSONSchema, Attempts: 2, Calls: 3, Outcome: reask.KindOK,
		Records: []reask.Attempt{
			{Number: 1, Outcome: reask.KindSchema, Duration: 1500 * time.Millisecond, Calls: []reask.Call{
				{Outcome: reask.KindServer, Status: 503, Duration: 250 * time.Microsecond},
				{Outcome: reask.KindOK, Waited: 1250 * time.Millisecond, Duration: 2*time.Millisecond + 500*time.Microsecond},
			}},
			{Number: 2, Outcome: reask.KindOK, Duration: 40 * time.Millisecond, Calls: []reask.Call{{Outcome: reask.KindOK, Duration: 39 * time.Millisecond}}},
		},
		Backoff: 1250 * time.Millisecond, Duration: 1540 * time.Millisecond, BreakerTrips: 1,
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "_ns") {
		t.Errorf("nanoseconds in the JSON: %s", b)
	}
	var got struct {
		Backoff  float64 `json:"backoff_ms"`
		Duration float64 `json:"duration_ms"`
		Trips    int     `json:"breaker_trips"`
		Records  []struct {
			Duration float64 `json:"duration_ms"`
			Calls    []map[string]any
		} `json:"records"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Backoff != 1250 || got.Duration != 1540 || got.Trips != 1 || len(got.Records) != 2 || got.Records[0].Duration != 1500 {
		t.Errorf("report JSON %s", b)
	}
	first, second := got.Records[0].Calls[0], got.Records[0].Calls[1]
	if first["duration_ms"] != 0.25 || first["waited_ms"] != nil || second["waited_ms"] != 1250.0 || second["duration_ms"] != 2.5 {
		t.Errorf("calls %v, %v; want durations 0.25 and 2.5 ms, waits none and 1250 ms", first, second)
	}

	var back reask.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, *rep)
	}
	ind, err := rep.MarshalIndent()
	if err != nil || !strings.Contains(string(ind), `"backoff_ms": 1250`) {
		t.Errorf("MarshalIndent: %v\n%s", err, ind)
	}
}
