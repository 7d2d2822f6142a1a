package wxsim

// pushLine orders the pushes to one platform. Each push takes a turn when it is built (under
// s.mu, so turns follow CreateTime) and POSTs only once the push before it has finished.
// Without it a ticket rotation racing an earlier push could reach the receiver first and be
// overwritten by the older ticket. Platforms have separate lines, so a slow receiver stalls
// only its own platform.
type pushLine struct {
	tail chan struct{} // closed when the last push to join has finished; nil when none has
}

// pushTurn is one push's place in a line: it may go once prev is closed and closes done when
// it has finished.
type pushTurn struct {
	prev <-chan struct{}
	done chan struct{}
}

// join queues a push behind the last one; s.mu must be held.
func (l *pushLine) join() pushTurn {
	prev := l.tail
	if prev == nil {
		c := make(chan struct{})
		close(c)
		prev = c
	}
	t := pushTurn{prev: prev, done: make(chan struct{})}
	l.tail = t.done
	return t
}

// pass gives up a turn without pushing: the next push goes once the previous one is done.
func (t pushTurn) pass() {
	go func() {
		<-t.prev
		close(t.done)
	}()
}
