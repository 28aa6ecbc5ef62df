// Package deploy holds no code. It is the module of the deployable
// configurations next to it, collector/ (the agent and gateway collector
// configs and the variables they read) and kubernetes/ (the manifests), so
// that its tests can check them with the Kubernetes API types without adding
// k8s.io modules to the library's go.mod. See docs/scale-out.md.
//
// The tests validate both collector configs with the project's collector
// binary (OTELSWITCH_BIN, default bin/ at the repository root; built by
// tools/build.sh) using exactly the variables in collector/example.env, and
// decode every manifest strictly, cross-checking the names, ports and
// variables they share with each other and with the collector configs.
// OTELSWITCH_LAB=off skips the test that needs the binary.
package deploy
