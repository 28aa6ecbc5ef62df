// Package pgtest starts a throwaway PostgreSQL server for tests.
//
// [Start] looks for the server binaries (initdb, pg_ctl, postgres) on PATH
// and under /usr/lib/postgresql/*/bin, installs Debian's postgresql package
// with apt-get when they are missing and the test runs as root, initialises
// a cluster in a temporary directory, starts it on a free loopback port with
// trust authentication, and stops and removes it when the test ends.
// PostgreSQL refuses to run as root, so as root the cluster runs as the
// postgres user (created by the Debian package).
//
// A test is skipped, with the reason, only when PostgreSQL cannot be
// installed; any later failure fails the test. Set PGTEST_SKIP=1 to skip
// deliberately.
package pgtest
