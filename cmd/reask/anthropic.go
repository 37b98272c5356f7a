package main

import "errors"

func (f *providerFlags) openAnthropic(getenv env, model string) (*openedProvider, error) {
	return nil, errors.New("--provider anthropic: not available yet")
}
