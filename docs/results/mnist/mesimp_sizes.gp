set title "meSimp: hidden units left after each epoch"
set xlabel "epoch"
set ylabel "hidden units (both layers)"
set grid
set key bottom right
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "mesimp_sizes.png"
plot "mesimp_sizes.dat" index 0 with linespoints lw 2 pt 7 title "top-160: hidden units (sum)"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "mesimp_sizes.svg"
plot "mesimp_sizes.dat" index 0 with linespoints lw 2 pt 7 title "top-160: hidden units (sum)"
unset output
