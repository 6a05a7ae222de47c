package bench

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"usual", "Name:\tmint\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t7\n", 12345 << 10, false},
		{"kernel thread has none", "Name:\tkthreadd\nThreads:\t1\n", 0, true},
		{"garbage", "VmRSS:\tlots\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tt.status))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseVmRSS = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWatchRSSOfThisProcess(t *testing.T) {
	w, err := WatchRSS(context.Background(), os.Getpid(), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	rss, err := w.Stop()
	if err != nil || rss.Start <= 0 || rss.Peak < rss.Start || rss.Peak < rss.End {
		t.Errorf("rss = %+v, %v; want start > 0 and peak the largest", rss, err)
	}
	if _, err := WatchRSS(context.Background(), 1<<30, time.Second); err == nil {
		t.Error("watching a process that does not exist: no error")
	}
}
