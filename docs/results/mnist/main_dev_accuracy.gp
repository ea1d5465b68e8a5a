set title "Dev accuracy per epoch"
set xlabel "epoch"
set ylabel "dev accuracy (%)"
set grid
set key bottom right
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "main_dev_accuracy.png"
plot "main_dev_accuracy.dat" index 0 with linespoints lw 2 pt 7 title "dense", "main_dev_accuracy.dat" index 1 with linespoints lw 2 pt 7 title "top-80", "main_dev_accuracy.dat" index 2 with linespoints lw 2 pt 7 title "top-20"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "main_dev_accuracy.svg"
plot "main_dev_accuracy.dat" index 0 with linespoints lw 2 pt 7 title "dense", "main_dev_accuracy.dat" index 1 with linespoints lw 2 pt 7 title "top-80", "main_dev_accuracy.dat" index 2 with linespoints lw 2 pt 7 title "top-20"
unset output
