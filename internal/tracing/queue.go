package tracing

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The export queue's defaults: at most DefaultQueueSize spans wait; they
// leave in requests of DefaultBatchSize, or after DefaultInterval when
// fewer are waiting; one export may take exportTimeout, retries included.
const (
	DefaultQueueSize = 2048
	DefaultBatchSize = 512
	DefaultInterval  = 2 * time.Second
	exportTimeout    = 30 * time.Second
)

// queue is the span processor between the request path and the
// exporter. The SDK's batch processor does the same but keeps its drops
// to itself; this one counts them for /metrics. OnEnd never blocks: a
// span that finds the queue full is dropped and counted, so a collector
// that is down or slow (each export can wait exportTimeout) costs spans,
// never request time. One goroutine exports, one batch at a time.
type queue struct {
	exporter sdktrace.SpanExporter
	spans    chan sdktrace.ReadOnlySpan
	batch    int
	interval time.Duration
	flush    chan chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	exported, dropped atomic.Uint64
}

var _ sdktrace.SpanProcessor = (*queue)(nil)

func newQueue(exp sdktrace.SpanExporter, size, batch int, interval time.Duration) *queue {
	if size <= 0 {
		size = DefaultQueueSize
	}
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	q := &queue{exporter: exp, spans: make(chan sdktrace.ReadOnlySpan, size), batch: min(batch, size), interval: interval,
		flush: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

func (q *queue) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span, or drops it when the queue is full.
func (q *queue) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	select {
	case <-q.stop:
		q.dropped.Add(1)
		return
	default:
	}
	select {
	case q.spans <- s:
	default:
		q.dropped.Add(1)
	}
}

func (q *queue) run() {
	defer close(q.done)
	tick := time.NewTicker(q.interval)
	defer tick.Stop()
	batch := make([]sdktrace.ReadOnlySpan, 0, q.batch)
	for {
		select {
		case s := <-q.spans:
			if batch = append(batch, s); len(batch) == q.batch {
				batch = q.export(batch)
			}
		case <-tick.C:
			batch = q.export(batch)
		case ack := <-q.flush:
			batch = q.export(q.drain(batch))
			close(ack)
		case <-q.stop:
			q.export(q.drain(batch))
			return
		}
	}
}

// drain exports full batches of what is queued now and returns the rest.
func (q *queue) drain(batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	for {
		select {
		case s := <-q.spans:
			if batch = append(batch, s); len(batch) == q.batch {
				batch = q.export(batch)
			}
		default:
			return batch
		}
	}
}

// export sends batch and returns it emptied; a failed export's spans
// count as dropped (the exporter has already retried what it could).
func (q *queue) export(batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	err := q.exporter.ExportSpans(ctx, batch)
	cancel()
	if err != nil {
		q.dropped.Add(uint64(len(batch)))
	} else {
		q.exported.Add(uint64(len(batch)))
	}
	clear(batch)
	return batch[:0]
}

// ForceFlush exports what is queued, waiting at most as long as ctx.
func (q *queue) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case q.flush <- ack:
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown exports what is queued and shuts the exporter down, within ctx.
func (q *queue) Shutdown(ctx context.Context) error {
	q.stopOnce.Do(func() { close(q.stop) })
	select {
	case <-q.done:
	case <-ctx.Done():
		// The exporter's Shutdown interrupts an export in flight.
		q.exporter.Shutdown(ctx)
		return ctx.Err()
	}
	return q.exporter.Shutdown(ctx)
}
