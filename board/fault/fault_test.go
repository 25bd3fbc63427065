package fault

import (
	"strings"
	"testing"
	"time"
)

//go:noinline
func leak(card uint64) { panic("card " + string(rune('0'+card%10))) }

// A panic reaches the handler first, then the part's own reaction, with
// no text of the panic value and no argument words in the stack.
func TestRecoverReportsWithoutSecrets(t *testing.T) {
	got := make(chan string, 2)
	restore := SetHandler(func(r Report) { got <- "handler " + r.Part + " " + r.Value + " " + r.Stack })
	defer restore()
	GoWith("test.part", func() { leak(0xC0FFEE) }, func(r Report) { got <- "local " + r.Value })
	var first, second string
	for i, s := range []*string{&first, &second} {
		select {
		case *s = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("report %d never came", i)
		}
	}
	if !strings.HasPrefix(first, "handler test.part panic of type string") {
		t.Errorf("handler got %q", first[:min(len(first), 80)])
	}
	if second != "local panic of type string" {
		t.Errorf("local got %q", second)
	}
	if strings.Contains(first, "c0ffee") || strings.Contains(first, "0xc0ffee") || strings.Contains(first, "card") {
		t.Errorf("report leaks the argument or panic text:\n%s", first)
	}
	if !strings.Contains(first, "fault.leak(...)") {
		t.Errorf("stack lost the function names:\n%s", first)
	}
}

func TestDescribeKeepsRuntimeErrors(t *testing.T) {
	var err any
	func() {
		defer func() { err = recover() }()
		var s []int
		_ = s[3]
	}()
	if got := Describe(err); !strings.Contains(got, "index out of range") {
		t.Errorf("Describe(runtime error) = %q", got)
	}
}

func TestInjectPanicsTheNamedGoroutine(t *testing.T) {
	got := make(chan Report, 1)
	defer SetHandler(func(r Report) { got <- r })()
	trigger := make(chan struct{})
	defer Inject("x", trigger)()
	ran := make(chan struct{})
	Go("x", func() { close(ran) })
	close(trigger)
	select {
	case r := <-got:
		if r.Part != "x" || !strings.Contains(r.Value, "injected") {
			t.Errorf("report %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no report")
	}
	select {
	case <-ran:
		t.Error("the injected goroutine ran its function")
	default:
	}
}
