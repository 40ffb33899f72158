// Command istio-xds serves Istio's own xDS generation to a real istio-agent, for Istio
// releases whose file-based config ignores WasmPlugin (1.30 and later translate
// WasmPlugin into TrafficExtension on the Kubernetes config path only). It runs
// Istio's pilot/test/xds FakeDiscoveryServer (the real config generators, the real
// WasmPlugin translation, over a fake Kubernetes client) with the manifests in -config
// as its config, on a TCP listener at -xds, and Istio's debug endpoints
// (/debug/config_dump, /debug/configz) at -debug. On SIGHUP it reads -config again
// and applies the changes (creates, updates, deletes) to the fake server's config
// store, as kubectl apply would; the store's event handlers push to the proxies. A file
// that does not parse or validate is not applied (reported on stderr), as the API
// server's validation would refuse it.
//
// Built by scripts/install-istio.sh against the same istio.io/istio version as the
// release's binaries (rebuilt when this file changes: .istio/<label>/istio-xds.sha256);
// used by harness/istio/istiod.ts.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	xdsfake "istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/util/sets"
)

// failer is the test.Failer the fake server wants, for a program: failing exits.
type failer struct{ cleanups []func() }

func (f *failer) Fail()                      { f.FailNow() }
func (f *failer) FailNow()                   { f.run(); os.Exit(1) }
func (f *failer) Fatal(args ...any)          { fmt.Fprintln(os.Stderr, args...); f.FailNow() }
func (f *failer) Fatalf(s string, a ...any)  { fmt.Fprintf(os.Stderr, s+"\n", a...); f.FailNow() }
func (f *failer) Log(args ...any)            { fmt.Fprintln(os.Stderr, args...) }
func (f *failer) Logf(s string, a ...any)    { fmt.Fprintf(os.Stderr, s+"\n", a...) }
func (f *failer) TempDir() string            { d, _ := os.MkdirTemp("", "istio-xds-"); return d }
func (f *failer) Helper()                    {}
func (f *failer) Cleanup(c func())           { f.cleanups = append(f.cleanups, c) }
func (f *failer) Skip(args ...any)           { f.Fatal(args...) }
func (f *failer) run() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func readConfigs(path string) ([]config.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfgs, _, err := crd.ParseInputs(string(b))
	if err != nil {
		return nil, err
	}
	for _, c := range cfgs {
		s, ok := collections.All.FindByGroupVersionAliasesKind(c.GroupVersionKind)
		if !ok {
			return nil, fmt.Errorf("unknown kind %v", c.GroupVersionKind)
		}
		if _, err := s.ValidateConfig(c); err != nil {
			return nil, fmt.Errorf("%s %s/%s: %v", c.GroupVersionKind.Kind, c.Namespace, c.Name, err)
		}
	}
	return cfgs, nil
}

func key(c config.Config) string { return c.GroupVersionKind.String() + "/" + c.Namespace + "/" + c.Name }

func main() {
	configPath := flag.String("config", "", "YAML manifests (Istio config) to serve")
	xdsAddr := flag.String("xds", "127.0.0.1:0", "address of the plain-text xDS listener")
	debugAddr := flag.String("debug", "127.0.0.1:0", "address of the debug HTTP listener")
	meshPath := flag.String("mesh", "", "mesh config YAML (optional)")
	flag.Parse()
	// Before anything answers: the harness sends SIGHUP as soon as the debug port does,
	// and an unhandled SIGHUP would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	f := &failer{}
	cfgs, err := readConfigs(*configPath)
	if err != nil {
		f.Fatalf("reading %s: %v", *configPath, err)
	}
	m := mesh.DefaultMeshConfig()
	if *meshPath != "" {
		b, err := os.ReadFile(*meshPath)
		if err != nil {
			f.Fatal(err)
		}
		if m, err = mesh.ApplyMeshConfigDefaults(string(b)); err != nil {
			f.Fatal(err)
		}
	}
	xl, err := net.Listen("tcp", *xdsAddr)
	if err != nil {
		f.Fatal(err)
	}
	dl, err := net.Listen("tcp", *debugAddr)
	if err != nil {
		f.Fatal(err)
	}
	s := xdsfake.NewFakeDiscoveryServer(f, xdsfake.FakeOptions{
		Configs:         cfgs,
		MeshConfig:      m,
		ListenerBuilder: func() (net.Listener, error) { return xl, nil },
	})
	go func() { _ = http.Serve(dl, s.DiscoveryDebug) }()
	fmt.Printf("istio-xds: xds=%s debug=%s\n", xl.Addr(), dl.Addr())

	applied := map[string]config.Config{}
	for _, c := range cfgs {
		applied[key(c)] = c
	}
	for {
		select {
		case <-stop:
			f.run()
			return
		case <-hup:
			next, err := readConfigs(*configPath)
			if err != nil {
				fmt.Fprintf(os.Stderr, "istio-xds: not applied: %v\n", err)
				continue
			}
			store := s.Store()
			seen := sets.New[string]()
			var changed []string
			for _, c := range next {
				k := key(c)
				seen.Insert(k)
				if old := store.Get(c.GroupVersionKind, c.Name, c.Namespace); old != nil {
					c.ResourceVersion = old.ResourceVersion
					_, err = store.Update(c)
				} else {
					_, err = store.Create(c)
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "istio-xds: %s: %v\n", k, err)
				}
				changed = append(changed, k)
				applied[k] = c
			}
			for k, c := range applied {
				if !seen.Contains(k) {
					_ = store.Delete(c.GroupVersionKind, c.Name, c.Namespace, nil)
					delete(applied, k)
				}
			}
			fmt.Printf("istio-xds: applied %s\n", strings.Join(changed, ", "))
		}
	}
}
