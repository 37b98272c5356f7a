package reask_test

import (
	"context"
	"sync"
	"testing"

	"github.com/reask/reask"
	"github.com/reask/reask/schema"
)

// tagged answers with the scripted contents in turn and records the Tag of
// every request it is sent.
type tagged struct {
	mu      sync.Mutex
	answers []string
	tags    []any
}

func (p *tagged) Name() string { return "tagged" }

func (p *tagged) Complete(_ context.Context, req *reask.Request) (*reask.Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tags = append(p.tags, req.Tag)
	a := p.answers[0]
	if len(p.answers) > 1 {
		p.answers = p.answers[1:]
	}
	return &reask.Response{Content: a, FinishReason: "stop"}, nil
}

// A task's Tag reaches the provider with every call and the observer with
// every event, re-asks included; so does a plain call's: a caller that
// needs to know which of its requests a call or an event serves (the
// gateway) is told explicitly, not through a context value.
func TestTagReachesEveryCallAndEvent(t *testing.T) {
	type caller struct{ id int }
	s := schema.MustCompile(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`)
	for _, tc := range []struct {
		name string
		run  func(c *reask.Client, tag any) error
		want int // calls
	}{
		{"run", func(c *reask.Client, tag any) error {
			_, _, err := c.Run(t.Context(), reask.Task{Schema: s, Input: "n is 1", Tag: tag})
			return err
		}, 2},
		{"send", func(c *reask.Client, tag any) error {
			_, _, err := c.Send(t.Context(), &reask.Request{Messages: []reask.Message{{Role: reask.RoleUser, Content: "hi"}}, Tag: tag})
			return err
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &tagged{answers: []string{`{"n":"one"}`, `{"n":1}`}}
			tag := &caller{id: 7}
			var events []reask.Event
			c, err := reask.New(p, reask.Config{Observer: func(_ context.Context, e reask.Event) { events = append(events, e) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.run(c, tag); err != nil {
				t.Fatal(err)
			}
			if len(p.tags) != tc.want {
				t.Fatalf("%d calls, want %d", len(p.tags), tc.want)
			}
			for i, got := range p.tags {
				if got != tag {
					t.Errorf("call %d: Tag %v, want the caller's %v", i+1, got, tag)
				}
			}
			if len(events) == 0 || events[len(events)-1].Kind != reask.EventResult {
				t.Fatalf("events %v: want a result last", events)
			}
			for _, e := range events {
				if e.Tag != tag {
					t.Errorf("%s event: Tag %v, want the caller's %v", e.Kind, e.Tag, tag)
				}
			}
		})
	}
}
