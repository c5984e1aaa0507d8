package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/fundledger/fundledger/internal/pgtest"
)

func TestFundbench(t *testing.T) {
	url := pgtest.NewURL(t)
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"--donations", "2000", "--duration", "1s", "--concurrency", "4", "--json"}, env, &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	for _, w := range allWorkloads {
		r := rep.Workloads[w]
		if r == nil {
			t.Errorf("workload %s missing", w)
			continue
		}
		if r.Throughput <= 0 {
			t.Errorf("%s: throughput %v", w, r.Throughput)
		}
	}
	if r := rep.Workloads["record"]; r != nil && (r.BaselineRatio == nil || *r.BaselineRatio <= 0) {
		t.Errorf("record has no baseline ratio")
	}
	if v := rep.Workloads["verify"]; v != nil {
		if n, _ := v.Detail["problems"].(float64); n != 0 {
			t.Errorf("verify found %v problems: %v", n, v.Detail["first_problems"])
		}
		if n, _ := v.Detail["transactions"].(float64); n < 2000+seedGrants {
			t.Errorf("verify saw %v transactions", n)
		}
	}
	if rc := rep.Workloads["reconcile"]; rc != nil {
		if n, _ := rc.Detail["lines"].(float64); n == 0 {
			t.Errorf("reconcile imported no lines")
		}
	}
	if rep.PeakMemoryMB <= 0 || rep.SeedSeconds <= 0 {
		t.Errorf("peak memory %v, seed seconds %v", rep.PeakMemoryMB, rep.SeedSeconds)
	}
	t.Logf("%s", out.String())
}
