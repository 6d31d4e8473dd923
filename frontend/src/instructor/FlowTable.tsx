/** The flow of students through the study (CONSORT style), as a table: the report draws it. */
import type { Results } from "../api/instructor";

type Flow = NonNullable<Results["flow"]>;

export function FlowTable({ flow }: { flow: Flow }) {
  const enrolment: [string, number][] = [
    ["joined (withdrawn students are deleted)", flow.joined],
    ["took part (consented)", flow.consented],
    ["declined, or took part without their data", flow.declined],
    ["pre-tested", flow.pre_tested],
    ["withdrew before assignment", flow.withdrawn_before_assignment],
    ["randomised", flow.assigned],
  ];
  return (
    <table className="data-table" data-testid="flow-table">
      <caption>Flow of students</caption>
      <tbody>
        {enrolment.map(([label, count]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td colSpan={flow.arms.length}>{count}</td>
          </tr>
        ))}
        <tr>
          <th scope="row">condition</th>
          {flow.arms.map((arm) => (
            <th scope="col" key={arm.condition}>
              {arm.condition}
            </th>
          ))}
        </tr>
        {(
          [
            ["assigned", "assigned"],
            ["withdrew after assignment", "withdrawn"],
            ["post-tested", "post_tested"],
            ["analysed (both tests)", "analysed"],
          ] as const
        ).map(([label, key]) => (
          <tr key={key}>
            <th scope="row">{label}</th>
            {flow.arms.map((arm) => (
              <td key={arm.condition} data-testid={`flow-${key}-${arm.condition}`}>
                {arm[key]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
