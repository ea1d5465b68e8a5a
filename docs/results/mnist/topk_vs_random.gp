set title "Top-k vs random-k"
set xlabel "k"
set ylabel "test accuracy (%)"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "topk_vs_random.png"
plot "topk_vs_random.dat" index 0 with linespoints lw 2 pt 7 title "top-k", "topk_vs_random.dat" index 1 with linespoints lw 2 pt 7 title "random-k"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "topk_vs_random.svg"
plot "topk_vs_random.dat" index 0 with linespoints lw 2 pt 7 title "top-k", "topk_vs_random.dat" index 1 with linespoints lw 2 pt 7 title "random-k"
unset output
