// A thin wrapper around Chart.js (only the parts the dashboard uses are registered).
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Legend, Tooltip);

const COLORS = ['#0f6e63', '#e0a526', '#c4453c', '#3b6fb6', '#7a5cb0', '#5a8f3c', '#888'];

export function ChartBox({
  type,
  labels,
  series,
  percent = false,
  horizontal = false,
  testid,
}: {
  type: 'bar' | 'doughnut';
  labels: string[];
  series: { label: string; data: number[] }[];
  percent?: boolean;
  horizontal?: boolean;
  testid?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify({ type, labels, series, percent, horizontal });
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type,
      data: {
        labels,
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.data,
          backgroundColor: type === 'doughnut' ? COLORS : COLORS[i % COLORS.length],
          borderWidth: type === 'doughnut' ? 1 : 0,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? 'y' : 'x',
        plugins: { legend: { display: type === 'doughnut' || series.length > 1, position: 'bottom' } },
        scales:
          type === 'bar'
            ? {
                [horizontal ? 'x' : 'y']: { beginAtZero: true, ...(percent ? { max: 100, ticks: { callback: (v: any) => `${v}%` } } : { ticks: { precision: 0 } }) },
              }
            : {},
      } as any,
    });
    return () => chart.destroy();
  }, [key]);
  return (
    <div class="chart" data-testid={testid}>
      <canvas ref={canvas} />
    </div>
  );
}
