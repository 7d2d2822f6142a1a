package flow

import (
	"context"
	"fmt"
	"sync"
)

// The authorization runner: what both the console and `wxauth authorize` do once the merchant
// has a link. It waits for whichever comes first of the redirect to our callback, the
// `authorized` push (either may reach any process sharing the database) and a code the user
// pastes, and reports that one outcome.

// RunOptions say what a run does besides waiting.
type RunOptions struct {
	Listen      bool // bind the platform's listener for the run (the console keeps its own)
	OpenBrowser bool // open the launch page in the system browser
}

// Run is one authorization under way.
type Run struct {
	Authorization
	ListenNote string // what became of the listener, when Listen was asked
	BrowserErr error  // why the browser did not open, when OpenBrowser was asked

	eng            *Engine
	componentAppID string
	cancel         context.CancelFunc
	listening      <-chan error
	done           chan RunResult
	once           sync.Once
}

// RunResult is how a run ended: the account authorized and where its code came from, or why
// it failed (ctx's error when the face gave up).
type RunResult struct {
	Authorizer Authorizer
	Source     string // SourceRedirect, SourcePush or SourcePaste
	Err        error
}

// RunAuthorization starts a session and waits for its code in the background; read the outcome
// from Done, and Stop the run when leaving.
func (e *Engine) RunAuthorization(ctx context.Context, componentAppID string, opts AuthOptions, ro RunOptions) (*Run, error) {
	p, err := e.Platform(ctx, componentAppID)
	if err != nil {
		return nil, err
	}
	auth, err := e.StartAuthorization(ctx, p.ComponentAppID, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &Run{Authorization: auth, eng: e, componentAppID: p.ComponentAppID, cancel: cancel, done: make(chan RunResult, 1)}
	if ro.Listen {
		r.listen(ctx, p)
	}
	if ro.OpenBrowser {
		r.BrowserErr = e.OpenBrowser(ctx, p.ComponentAppID, auth.LaunchURL)
	}
	go r.wait(ctx)
	return r, nil
}

// listen binds the platform's listener for the run: the redirect and the push reach whichever
// listener serves the public URL, so a busy address is taken to be `wxauth serve`.
func (r *Run) listen(ctx context.Context, p Platform) {
	_, done, err := r.eng.Listen(ctx, p.ListenAddr)
	switch {
	case err == nil:
		r.listening = done
		r.ListenNote = fmt.Sprintf("Listening on %s (public URL %s) until the code arrives.", p.ListenAddr, p.PublicURL)
	case AddrBusy(err):
		r.ListenNote = fmt.Sprintf("note: %s is in use; assuming `wxauth serve` runs there and will receive the code.", p.ListenAddr)
	default:
		r.ListenNote = fmt.Sprintf("note: no listener (%v); the redirect and the push cannot reach wxauth, paste the address instead.", err)
	}
}

// wait reports the session's end, however its code arrived (WaitSession polls the store).
func (r *Run) wait(ctx context.Context) {
	s, err := r.eng.WaitSession(ctx, r.Session.ID)
	if err != nil {
		r.finish(RunResult{Err: err})
		return
	}
	a, err := r.eng.Authorizer(ctx, s.ComponentAppID, s.AuthorizerAppID)
	r.finish(RunResult{Authorizer: a, Source: s.CodeSource, Err: err})
}

func (r *Run) finish(res RunResult) { r.once.Do(func() { r.done <- res }) }

// Done yields the run's one outcome.
func (r *Run) Done() <-chan RunResult { return r.done }

// Paste tries a pasted redirect URL or code. On success the run is done (Done yields it); an
// error says why this input did not work, and the run keeps waiting for another.
func (r *Run) Paste(ctx context.Context, input string) error {
	a, err := r.eng.AuthorizeWithCode(ctx, r.componentAppID, input)
	if err != nil {
		return err
	}
	r.finish(RunResult{Authorizer: a, Source: SourcePaste})
	return nil
}

// Stop ends the run: it stops waiting and closes the run's listener (returning once its
// requests in flight are done). The session stays valid until its pre_auth_code expires.
func (r *Run) Stop() {
	r.cancel()
	if r.listening != nil {
		<-r.listening
	}
}
