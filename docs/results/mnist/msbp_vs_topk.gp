set title "MSBP vs top-k: dev accuracy per epoch"
set xlabel "epoch"
set ylabel "dev accuracy (%)"
set grid
set key bottom right
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "msbp_vs_topk.png"
plot "msbp_vs_topk.dat" index 0 with linespoints lw 2 pt 7 title "top-5", "msbp_vs_topk.dat" index 1 with linespoints lw 2 pt 7 title "MSBP top-5", "msbp_vs_topk.dat" index 2 with linespoints lw 2 pt 7 title "top-20", "msbp_vs_topk.dat" index 3 with linespoints lw 2 pt 7 title "MSBP top-20", "msbp_vs_topk.dat" index 4 with linespoints lw 2 pt 7 title "top-20, batch 100, no dropout", "msbp_vs_topk.dat" index 5 with linespoints lw 2 pt 7 title "MSBP top-20, batch 100, no dropout"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "msbp_vs_topk.svg"
plot "msbp_vs_topk.dat" index 0 with linespoints lw 2 pt 7 title "top-5", "msbp_vs_topk.dat" index 1 with linespoints lw 2 pt 7 title "MSBP top-5", "msbp_vs_topk.dat" index 2 with linespoints lw 2 pt 7 title "top-20", "msbp_vs_topk.dat" index 3 with linespoints lw 2 pt 7 title "MSBP top-20", "msbp_vs_topk.dat" index 4 with linespoints lw 2 pt 7 title "top-20, batch 100, no dropout", "msbp_vs_topk.dat" index 5 with linespoints lw 2 pt 7 title "MSBP top-20, batch 100, no dropout"
unset output
