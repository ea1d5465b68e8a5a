#!/usr/bin/env bash
# Renders the GPU benchmark plots from the CSVs meprop-gpubench wrote on the GPU machine (run this one on the
# development machine, after fetching $OUT of bench/gpu/run.sh; needs gnuplot with pngcairo):
#   bench/gpu/plot.sh OUT/bench [docs/results/gpu]
# Writes into the target folder (default docs/results/gpu):
#   backward_unified.png     unified meProp backward, speed-up over the cuBLAS dense backward vs k/n, one curve per n
#   backward_topk_ell.png    per-example top-k + libmeprop's ELL kernels (sorted dW), the same axes
#   ell_vs_cusparse.png      sparse products alone: cuSPARSE CSR SpMM time / ELL time, vs batch, one curve per n (k = 2%
#                            of n, or the smallest k/n swept)
#   mlp_step.png             MLP training step, dense vs unified (ms), per model and batch
# The batch of the first two plots is 512 when swept, else the largest swept batch. Each plot names the device.
set -euo pipefail
IN="${1:?usage: bench/gpu/plot.sh OUT/bench [target-dir]}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${2:-$ROOT/docs/results/gpu}"
CSV="$IN/backward.csv"
MLP="$IN/mlp_step.csv"
[[ -f "$CSV" ]] || { echo "plot.sh: $CSV not found" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
mkdir -p "$DEST"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# CSV: device,n,m,batch,k,k_frac,strategy,median_ms,min_ms,speedup_vs_dense,auto_choice (device is quoted, without commas inside
# the quotes being split: strip the first field by its closing quote)
tail -n +2 "$CSV" | sed -E 's/^"[^"]*",//' > "$TMP/rows.csv"     # n,m,batch,k,k_frac,strategy,median_ms,min_ms,speedup,auto
DEVICE="$(sed -n '2p' "$CSV" | sed -E 's/^"([^"]*)".*/\1/')"
BATCH="$(awk -F, '$1==$2 {print $3}' "$TMP/rows.csv" | sort -n | uniq | awk '$1==512 {b=512} {last=$1} END {print (b ? b : last)}')"
KMIN="$(awk -F, '{print $5}' "$TMP/rows.csv" | sort -g | uniq | awk '$1==0.0200 {k=$1} NR==1 {first=$1} END {print (k ? k : first)}')"
NS="$(awk -F, '$1==$2 {print $1}' "$TMP/rows.csv" | sort -n | uniq)"

speedup_plot() { # strategy file title
  local strategy="$1" out="$2" title="$3" plots=()
  for n in $NS; do
    awk -F, -v n="$n" -v b="$BATCH" -v s="$strategy" '$1==n && $2==n && $3==b && $6==s {print 100*$5, $9}' "$TMP/rows.csv" | sort -g > "$TMP/$strategy-$n.dat"
    [[ -s "$TMP/$strategy-$n.dat" ]] && plots+=("'$TMP/$strategy-$n.dat' using 1:2 with linespoints title 'n = $n'")
  done
  [[ ${#plots[@]} -gt 0 ]] || { echo "plot.sh: no $strategy rows" >&2; return 0; }
  gnuplot <<GP
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "$DEST/$out"
set title "$title, batch $BATCH, m = n\n{/*0.8 $DEVICE}"
set xlabel "k / n (%)"
set ylabel "speed-up over the dense (cuBLAS) backward"
set logscale y
set grid
set key top right
plot $(IFS=,; echo "${plots[*]}"), 1 with lines dashtype 2 lc rgb "gray" title "dense"
GP
  echo "plot.sh: $DEST/$out"
}
speedup_plot unified backward_unified.png "Unified meProp backward"
speedup_plot topk-ell backward_topk_ell.png "Per-example top-k + ELL kernels"

plots=()
for n in $NS; do
  awk -F, -v n="$n" -v k="$KMIN" '$1==n && $2==n && $5==k && $6=="sparse-ell" {print $3, $7}' "$TMP/rows.csv" | sort -n > "$TMP/ell-$n.dat"
  awk -F, -v n="$n" -v k="$KMIN" '$1==n && $2==n && $5==k && $6=="sparse-cusparse" {print $3, $7}' "$TMP/rows.csv" | sort -n > "$TMP/csr-$n.dat"
  join "$TMP/ell-$n.dat" "$TMP/csr-$n.dat" | awk '{print $1, $3 / $2}' > "$TMP/ratio-$n.dat"
  [[ -s "$TMP/ratio-$n.dat" ]] && plots+=("'$TMP/ratio-$n.dat' using 1:2 with linespoints title 'n = $n'")
done
if [[ ${#plots[@]} -gt 0 ]]; then
  gnuplot <<GP
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "$DEST/ell_vs_cusparse.png"
set title "Sparse products (dx and dW) on the same top-k patterns: cuSPARSE time / ELL time, k/n = $(awk -v k="$KMIN" 'BEGIN{print 100*k}')%\n{/*0.8 $DEVICE}"
set xlabel "batch"
set ylabel "cuSPARSE CSR SpMM / libmeprop ELL"
set logscale x 2
set grid
set yrange [0:*]
set key top left
plot $(IFS=,; echo "${plots[*]}"), 2 with lines dashtype 2 lc rgb "gray" title "target 2x"
GP
  echo "plot.sh: $DEST/ell_vs_cusparse.png"
else
  echo "plot.sh: no sparse-cusparse rows (a CPU dry run?): ell_vs_cusparse.png not drawn" >&2
fi

if [[ -f "$MLP" ]]; then
  # device,hidden,batch,strategy,k,step_ms,min_ms -> one line per (model, batch): label dense unified
  tail -n +2 "$MLP" | sed -E 's/^"[^"]*",//' | awk -F, '{key="784-" $1 "-" $1 "-10\\nbatch " $2; if (!(key in seen)) {order[++n]=key; seen[key]=1} t[key "," $3]=$5}
    END {for (i = 1; i <= n; i++) print "\"" order[i] "\"", t[order[i] ",dense"], t[order[i] ",unified"]}' > "$TMP/mlp.dat"
  gnuplot <<GP
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "$DEST/mlp_step.png"
set title "MLP training step (forward, loss, backward, Adam)\n{/*0.8 $DEVICE}"
set ylabel "ms per step"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid y
set key top left
plot "$TMP/mlp.dat" using 2:xtic(1) title "dense", "" using 3 title "unified meProp"
GP
  echo "plot.sh: $DEST/mlp_step.png"
fi
