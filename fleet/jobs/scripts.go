package jobs

import (
	"embed"
	"math/rand/v2"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// The scripts keep each step that touches more than one key atomic: an
// item is acknowledged only with its record written, enqueue progress
// moves only with the items it counts.

//go:embed lua/*.lua
var luaFiles embed.FS

func script(name string) *redis.Script {
	b, err := luaFiles.ReadFile("lua/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return redis.NewScript(string(b))
}

var (
	createScript   = script("create.lua")
	enqueueScript  = script("enqueue.lua")
	completeScript = script("complete.lua")
	requeueScript  = script("requeue.lua")
	touchScript    = script("touch.lua")
	finishScript   = script("finish.lua")
	lockScript     = script("lock.lua")
	unlockScript   = script("unlock.lua")
	leaveScript    = script("leave.lua")
)

// newIncarnation returns a random id for a new job, so that a job started
// again under the same name (or recreated after Redis lost it) is told
// apart from the one before, whose late completions are then dropped.
func newIncarnation() string { return strconv.FormatUint(rand.Uint64(), 36) }
