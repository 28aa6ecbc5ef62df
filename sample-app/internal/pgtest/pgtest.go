package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	// URL connects as the superuser postgres to the database postgres,
	// e.g. postgres://postgres@127.0.0.1:54321/postgres?sslmode=disable.
	URL string
	// BinDir holds the server binaries used.
	BinDir string

	dir   string
	runAs string // user the cluster runs as; "" for the current one
}

var (
	installOnce sync.Once
	binDir      string
	installErr  error
)

// Start starts a new cluster for t and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if os.Getenv("PGTEST_SKIP") != "" {
		t.Skip("pgtest: PGTEST_SKIP is set; not starting PostgreSQL")
	}
	installOnce.Do(func() { binDir, installErr = findOrInstall() })
	if installErr != nil {
		t.Skipf("pgtest: PostgreSQL is not installed and could not be installed: %v", installErr)
	}
	s, err := start(binDir)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
	dbSeq     int
)

// Shared returns one server for all the tests of a package, started by the
// first test that asks. The package's TestMain must call [StopShared] after
// m.Run. Give each test its own database with [Server.NewDatabase].
func Shared(t testing.TB) *Server {
	t.Helper()
	if os.Getenv("PGTEST_SKIP") != "" {
		t.Skip("pgtest: PGTEST_SKIP is set; not starting PostgreSQL")
	}
	installOnce.Do(func() { binDir, installErr = findOrInstall() })
	if installErr != nil {
		t.Skipf("pgtest: PostgreSQL is not installed and could not be installed: %v", installErr)
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start(binDir)
	}
	if sharedErr != nil {
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return shared
}

// StopShared stops the server [Shared] started, if any.
func StopShared() error {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		return nil
	}
	err := shared.Stop()
	shared = nil
	return err
}

// NewDatabase creates an empty database for t on s and returns its URL. It is
// dropped when t ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	sharedMu.Lock()
	dbSeq++
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbSeq)
	sharedMu.Unlock()
	admin, err := sql.Open("pgx", s.URL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", s.URL)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return strings.Replace(s.URL, "/postgres?", "/"+name+"?", 1)
}

// findOrInstall returns the directory holding initdb, pg_ctl and postgres.
func findOrInstall() (string, error) {
	if d := find(); d != "" {
		return d, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("initdb, pg_ctl and postgres are not on PATH or under /usr/lib/postgresql, and installing them needs root (apt-get install postgresql)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %s: %v: %s", strings.Join(args, " "), err, tail(out))
		}
	}
	if d := find(); d != "" {
		return d, nil
	}
	return "", errors.New("apt-get install postgresql succeeded but initdb was not found")
}

func find() string {
	// Debian keeps the server binaries out of PATH, under a versioned directory.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append([]string{filepath.Dir(p)}, dirs...)
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) && isExec(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func start(bin string) (*Server, error) {
	s := &Server{BinDir: bin}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the %s user to run the server: %v", s.runAs, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(30*time.Second, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, tail(out))
	}
	var lastErr error
	for range 5 { // the free port may be taken between probe and start
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories='%s' -c fsync=off -c full_page_writes=off -c max_connections=100", port, dir)
		out, err := s.run(60*time.Second, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "50", "start")
		if err == nil {
			s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return s, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		lastErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, tail(out), tail(log))
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// Stop stops the server and removes its files.
func (s *Server) Stop() error {
	out, err := s.run(30*time.Second, "pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	rmErr := os.RemoveAll(s.dir)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, tail(out))
	}
	return rmErr
}

func (s *Server) run(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	path := filepath.Join(s.BinDir, name)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = s.dir
	// pg_ctl's server keeps the output pipes open; send them to a file.
	f, err := os.CreateTemp("", "pgtest-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return out, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}
