package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// references are the reference servers of a comparison: the Baseline and,
// when ans's algorithm has a signer, the SigningBaseline.
type references struct {
	Baseline       string `json:"baseline"`
	Signing        string `json:"signing,omitempty"`
	SigningSkipped string `json:"signing_skipped,omitempty"`
}

// startReferences serves the references for ans: in a process of their own
// when command is set, in this one otherwise.
//
// A process of their own is the fair comparison. mint is another process
// than the load generator, so each request and answer crosses between
// processes, and the kernel shares the cores between the two Go
// schedulers; a reference in the load generator's process skips both. On
// two cores that made the same signing handler 40 % faster, with half the
// p99, in process than out of it.
func startReferences(ctx context.Context, ans *Answer, command []string) (references, func(), error) {
	if len(command) > 0 {
		return startReferenceProcess(ctx, ans, command)
	}
	var refs references
	url, stopBase, err := Baseline(ctx, ans)
	if err != nil {
		return refs, nil, err
	}
	refs.Baseline = url
	stop := stopBase
	if url, stopSign, err := SigningBaseline(ctx, ans); err != nil {
		refs.SigningSkipped = err.Error()
	} else {
		refs.Signing = url
		stop = func() { stopSign(); stopBase() }
	}
	return refs, stop, nil
}

// startReferenceProcess runs command, which must call ServeReferences,
// hands it ans and reads back where it serves.
func startReferenceProcess(ctx context.Context, ans *Answer, command []string) (references, func(), error) {
	var refs references
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return refs, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return refs, nil, err
	}
	if err := cmd.Start(); err != nil {
		return refs, nil, fmt.Errorf("starting the reference servers: %w", err)
	}
	stop := func() {
		in.Close() // the process stops when its input ends
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	err = json.NewEncoder(in).Encode(ans)
	if err == nil {
		err = json.NewDecoder(out).Decode(&refs)
	}
	if err == nil && refs.Baseline == "" {
		err = errors.New("no baseline URL")
	}
	if err != nil {
		stop()
		return refs, nil, fmt.Errorf("the reference servers (%s): %w: %s", strings.Join(command, " "), err, strings.TrimSpace(stderr.String()))
	}
	return refs, stop, nil
}

// ServeReferences is the reference process's side of startReferences: it
// reads an Answer as JSON from in, serves the references for it on
// loopback, writes their URLs to out as one JSON object, and serves until in
// ends or ctx does.
func ServeReferences(ctx context.Context, in io.Reader, out io.Writer) error {
	var ans Answer
	dec := json.NewDecoder(in)
	if err := dec.Decode(&ans); err != nil {
		return fmt.Errorf("reading the answer to serve: %w", err)
	}
	refs, stop, err := startReferences(ctx, &ans, nil)
	if err != nil {
		return err
	}
	defer stop()
	if err := json.NewEncoder(out).Encode(refs); err != nil {
		return err
	}
	ended := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, io.MultiReader(dec.Buffered(), in))
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	return nil
}
