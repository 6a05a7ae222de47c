package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"
)

// RotateFlags are the flags of `mint bench`'s rotating mode: load spread
// over many clients, read from a file or made with --setup.
type RotateFlags struct {
	ClientsFile string
	Clients     int
	MetricsURL  string
	// WritesURL, AdminRate and AdminMix: admin writes made during the run
	// (AdminWrites), on the server at WritesURL; none when it is empty.
	WritesURL string
	AdminRate float64
	AdminMix  string
}

// Register defines the rotating mode's flags on fs.
func (f *RotateFlags) Register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.ClientsFile, "clients-file", "", "rotate the load over every client of this JSON Lines `FILE` (as mint import clients reads: client_id, secret, grants)")
	fs.IntVar(&f.Clients, "clients", 0, fmt.Sprintf("with --setup, rotate the load over `N` new clients (at most %d) made through the admin API", MaxSetupClients))
	def := getenv("MINT_METRICS_URL")
	if def == "" {
		def = "http://127.0.0.1:9464/metrics"
	}
	fs.StringVar(&f.WritesURL, "admin-writes", "", "during the rotating run, make admin writes on the mint at this base `URL` (another replica: http://host:port), with --client-id and MINT_CLIENT_SECRET as admin credentials")
	fs.Float64Var(&f.AdminRate, "admin-rate", 10, "with --admin-writes, writes a `second`, from one keep-alive connection")
	fs.StringVar(&f.AdminMix, "admin-mix", MixRename, "with --admin-writes: rename (a client of the rotation each write) or lifecycle (rename one, create one, rotate its secret, delete it)")
	fs.StringVar(&f.MetricsURL, "metrics-url", def, "mint's /metrics `URL`, to count the audit records dropped during a rotating run; \"off\": none (env MINT_METRICS_URL)")
}

// Active reports whether the flags ask for a rotating run.
func (f *RotateFlags) Active() bool { return f.ClientsFile != "" || f.Clients > 0 }

// RotateRun is what the rest of `mint bench`'s flags give a rotating run.
type RotateRun struct {
	TokenURL    string
	AdminID     string // with Setup
	AdminSecret string
	Setup       bool
	Alg         string
	Connections int
	Duration    time.Duration
	Warmup      time.Duration
	JSON        bool
	Stdout      io.Writer
}

// Main runs the rotating mode and prints its report.
func (f *RotateFlags) Main(ctx context.Context, r RotateRun) error {
	if (f.ClientsFile != "") == (f.Clients > 0 && r.Setup) {
		return errors.New("give either --clients-file FILE, or --setup with --clients N")
	}
	if f.Clients > 0 && !r.Setup {
		return errors.New("--clients needs --setup (or give --clients-file)")
	}
	cfg := RotateConfig{URL: r.TokenURL, Connections: r.Connections, Duration: r.Duration, Warmup: r.Warmup}
	if f.MetricsURL != "off" {
		cfg.MetricsURL = f.MetricsURL
	}
	if f.WritesURL != "" {
		cfg.Writes = &AdminWrites{Server: f.WritesURL, ClientID: r.AdminID, ClientSecret: r.AdminSecret,
			Rate: f.AdminRate, Mix: f.AdminMix}
	}
	if f.ClientsFile != "" {
		clients, err := ReadClientsFile(f.ClientsFile)
		if err != nil {
			return err
		}
		cfg.Clients = clients
	} else {
		u, err := url.Parse(r.TokenURL)
		if err != nil {
			return err
		}
		t, err := SetupClients(ctx, SetupConfig{Server: u.Scheme + "://" + u.Host, ClientID: r.AdminID,
			ClientSecret: r.AdminSecret, Alg: r.Alg}, f.Clients)
		if err != nil {
			return err
		}
		defer t.Remove(context.WithoutCancel(ctx))
		cfg.Clients = t.Clients
	}
	rep, err := Rotate(ctx, cfg)
	if err != nil {
		return err
	}
	if r.JSON {
		enc := json.NewEncoder(r.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteTable(r.Stdout)
	}
	if err == nil && rep.Result.Errors > 0 {
		err = errors.New("some requests failed")
	}
	return err
}

// ReadClientsFile reads the credentials of every line of a clients file.
// Blank lines are skipped; a bad line is an error naming it (never its
// secret).
func ReadClientsFile(path string) ([]Credentials, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var clients []Credentials
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		c, err := ParseClientLine(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %v", path, n, err)
		}
		clients = append(clients, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(clients) == 0 {
		return nil, fmt.Errorf("%s holds no client", path)
	}
	return clients, nil
}

// WriteTable prints the report for a person.
func (r RotateReport) WriteTable(w io.Writer) error {
	res := r.Result
	dropped := fmt.Sprint(r.AuditDropped)
	if r.AuditDropped < 0 {
		dropped = "unknown (" + r.AuditNote + ")"
	}
	_, err := fmt.Fprintf(w, "rotating over %d clients, %d connections, %v measured\n"+
		"tokens/s      %.0f\nrequests      %d (%d errors)\nlatency       p50 %v  p90 %v  p99 %v  max %v\naudit dropped %s\n",
		r.Clients, r.Connections, res.Duration.Round(time.Millisecond), res.PerSecond, res.Requests, res.Errors,
		res.P50, res.P90, res.P99, res.Max, dropped)
	if wr := r.Writes; wr != nil && err == nil {
		_, err = fmt.Fprintf(w, "admin writes  %d done, %d failed (%s, %g/s asked) %v\n", wr.Done, wr.Failed, wr.Mix, wr.Rate, wr.Kinds)
		for _, s := range wr.ErrorSamples {
			if err == nil {
				_, err = fmt.Fprintf(w, "write error: %s\n", s)
			}
		}
	}
	for _, s := range res.ErrorSamples {
		if err == nil {
			_, err = fmt.Fprintf(w, "error: %s\n", s)
		}
	}
	return err
}
