# bench/overhead.gp - the plot of `make bench` (scripts/bench.sh passes
# cost, rounds and out): ns/event per hook vs the floor, and churn ratios.
set terminal pngcairo size 1400,560 font ",10"
set output out
set datafile missing "-"
set multiplot layout 1,2 title "tcptriage overhead (make bench)"

set title "ns/event per hook under connection churn (median; log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [1:*]
set ylabel "ns per event (run_time_ns / run_cnt)" noenhanced
set xtics rotate by -30 noenhanced
set key top left
plot cost using 2:xtic(1) title "floor (empty program)" lc rgb "#999999", \
     ''   using 3 title "tcptriage" lc rgb "#1f77b4", \
     ''   using 4 title "bpftrace peer" lc rgb "#d62728"

unset logscale y
unset style
set style data linespoints
set title "connection churn vs no agent, per round (ratio within the round)"
set xlabel "round"
set ylabel "tool / none"
set yrange [0:*]
set xtics 1 norotate
set key bottom right
plot rounds using 1:4 title "tcptriage, conns per CPU-second" lw 2 pt 7 lc rgb "#1f77b4", \
     ''     using 1:2 title "tcptriage, conns/s wall clock" lw 1 pt 6 dt 2 lc rgb "#1f77b4", \
     ''     using 1:5 title "bpftrace, conns per CPU-second" lw 2 pt 5 lc rgb "#d62728", \
     ''     using 1:3 title "bpftrace, conns/s wall clock" lw 1 pt 4 dt 2 lc rgb "#d62728", \
     0.98 title "goal 0.98" dt 2 lc rgb "#2ca02c", \
     1.0 notitle dt 3 lc rgb "#555555"
unset multiplot
