set title "Tagger: test accuracy vs k"
set xlabel "k (per LSTM gate)"
set ylabel "test accuracy (%)"
set grid
set key bottom right
set logscale x 2
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set output "tagger_accuracy_vs_k.png"
plot "tagger_accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k test accuracy", "tagger_accuracy_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "dense test accuracy"
set terminal svg size 800,500 dynamic font "DejaVu Sans,10"
set output "tagger_accuracy_vs_k.svg"
plot "tagger_accuracy_vs_k.dat" index 0 with linespoints lw 2 pt 7 title "meProp top-k test accuracy", "tagger_accuracy_vs_k.dat" index 1 with linespoints lw 2 pt 7 title "dense test accuracy"
unset output
