set title "Backward time per epoch vs k (k = 500 is dense)"
set xlabel "k"
set ylabel "seconds per epoch"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "backward_time_vs_k.png"
plot "backward_time_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "backward", "backward_time_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "linear layers"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "backward_time_vs_k.svg"
plot "backward_time_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "backward", "backward_time_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "linear layers"
unset output
