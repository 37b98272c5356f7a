package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// usageError is a mistake in the command line — a missing or extra
// argument, an unknown flag or command: it says what is wrong, then the
// command's usage line and where the help is.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s\nUsage: %s\nRun '%s --help' for more.", strings.TrimRight(e.err.Error(), "\n"), e.cmd.UseLine(), e.cmd.CommandPath())
}

func (e *usageError) Unwrap() error { return e.err }

// usage makes err a usage error of cmd, unless it is one already.
func usage(cmd *cobra.Command, err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &usageError{cmd: cmd, err: err}
}

// wantArgs accepts between min and max positional arguments. name is what
// the Use line calls the argument ("TEXT"), and hint says what to give,
// for the message about a missing one.
func wantArgs(min, max int, name, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < min:
			return fmt.Errorf("missing %s: %s", name, hint)
		case len(args) > max && max == 0:
			msg := fmt.Sprintf("%s takes no arguments, got %s", cmd.Name(), quoteArgs(args))
			if cmd.HasAvailableSubCommands() {
				var names []string
				for _, c := range cmd.Commands() {
					if c.IsAvailableCommand() {
						names = append(names, c.Name())
					}
				}
				msg += fmt.Sprintf(" (its commands: %s)", strings.Join(names, ", "))
			}
			return errors.New(msg)
		case len(args) > max:
			return fmt.Errorf("%s takes %s, got %d: %s; quote an argument that holds spaces",
				cmd.Name(), atMost(max, name), len(args), quoteArgs(args))
		}
		return nil
	}
}

// noArgs refuses every positional argument.
var noArgs = wantArgs(0, 0, "", "")

func atMost(max int, name string) string {
	if max == 1 {
		return "one argument, " + name
	}
	return fmt.Sprintf("at most %d arguments (%s)", max, name)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// withUsage makes every argument and flag error of cmd and its subcommands
// a usage error, so that each shows the usage line.
func withUsage(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usage(c, err) })
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if check := c.Args; check != nil {
			c.Args = func(c *cobra.Command, args []string) error { return usage(c, check(c, args)) }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
}
